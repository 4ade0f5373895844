package dev.sluice.gateway.llm;

import java.util.ArrayList;
import java.util.List;

/**
 * One message of a conversation. {@code toolCalls} is set on assistant messages that called tools,
 * {@code toolCallId} on the tool message that answers such a call.
 * <p>
 * {@code parts} is the content, in order, of a message that is more than one piece of text (several texts, images,
 * parts of other kinds); it is empty otherwise. {@code content} is then the text of its parts joined by newlines:
 * what limits, estimates, logs and history read, while the provider adapters send the parts.
 *
 * @param extra the message's fields that the neutral model does not model (an earlier reply's {@code refusal} or
 *        {@code reasoning_content}, a vendor's own), as the caller wrote them, for an OpenAI-compatible provider
 */
public record ChatMessage(Role role, String content, List<ToolCall> toolCalls, String toolCallId, String name,
        List<ContentPart> parts, JsonFields extra) {

    public ChatMessage {
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
        parts = parts == null ? List.of() : List.copyOf(parts);
        extra = extra == null ? JsonFields.EMPTY : extra;
    }

    public ChatMessage(Role role, String content, List<ToolCall> toolCalls, String toolCallId, String name) {
        this(role, content, toolCalls, toolCallId, name, List.of(), JsonFields.EMPTY);
    }

    public static ChatMessage of(Role role, String content) {
        return new ChatMessage(role, content, List.of(), null, null);
    }

    /** A message of these parts; one text part alone is plain content. */
    public static ChatMessage of(Role role, List<ContentPart> parts) {
        if (parts.size() == 1 && parts.get(0) instanceof ContentPart.Text text) {
            return of(role, text.text());
        }
        return new ChatMessage(role, text(parts), List.of(), null, null, parts, JsonFields.EMPTY);
    }

    /** Whether the provider must be sent {@link #parts} rather than {@link #content}. */
    public boolean hasParts() {
        return !parts.isEmpty();
    }

    /** The text of these parts, joined by newlines, as two texts are two paragraphs. */
    public static String text(List<ContentPart> parts) {
        List<String> texts = new ArrayList<>(parts.size());
        for (ContentPart part : parts) {
            String text = part.text();
            if (text != null) {
                texts.add(text);
            }
        }
        return String.join("\n", texts);
    }
}
