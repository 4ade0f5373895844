package dev.sluice.gateway.llm;

import java.util.List;

/**
 * One message of a conversation. {@code toolCalls} is set on assistant messages that called tools,
 * {@code toolCallId} on the tool message that answers such a call.
 */
public record ChatMessage(Role role, String content, List<ToolCall> toolCalls, String toolCallId, String name) {

    public ChatMessage {
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    public static ChatMessage of(Role role, String content) {
        return new ChatMessage(role, content, List.of(), null, null);
    }
}
