package dev.sluice.gateway.llm;

import java.util.ArrayList;
import java.util.List;

/**
 * One message of a conversation. {@code toolCalls} is set on assistant messages that called tools,
 * {@code toolCallId} on the tool message that answers such a call.
 * <p>
 * {@code parts} is the content, in order, of a message that is more than one piece of text (several texts, or
 * images); it is empty otherwise. {@code content} is then its text parts joined by newlines: what limits, estimates,
 * logs and history read, while the provider adapters send the parts.
 */
public record ChatMessage(Role role, String content, List<ToolCall> toolCalls, String toolCallId, String name,
        List<ContentPart> parts) {

    public ChatMessage {
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
        parts = parts == null ? List.of() : List.copyOf(parts);
    }

    public ChatMessage(Role role, String content, List<ToolCall> toolCalls, String toolCallId, String name) {
        this(role, content, toolCalls, toolCallId, name, List.of());
    }

    public static ChatMessage of(Role role, String content) {
        return new ChatMessage(role, content, List.of(), null, null);
    }

    /** A message of these parts; one text part alone is plain content. */
    public static ChatMessage of(Role role, List<ContentPart> parts) {
        if (parts.size() == 1 && parts.get(0) instanceof ContentPart.Text text) {
            return of(role, text.text());
        }
        return new ChatMessage(role, text(parts), List.of(), null, null, parts);
    }

    /** Whether the provider must be sent {@link #parts} rather than {@link #content}. */
    public boolean hasParts() {
        return !parts.isEmpty();
    }

    private static String text(List<ContentPart> parts) {
        List<String> texts = new ArrayList<>(parts.size());
        for (ContentPart part : parts) {
            if (part instanceof ContentPart.Text text) {
                texts.add(text.text());
            }
        }
        return String.join("\n", texts);
    }
}
