package dev.sluice.gateway.chat;

import java.util.List;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The body of {@code POST /api/v1/chat}: either {@code messages} or a single {@code prompt}, a model
 * (or an agent, which brings its own), and whether to stream (the default).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record NativeChatRequest(
        List<Message> messages,
        String prompt,
        String model,
        Boolean stream,
        String conversationId,
        String agent,
        Double temperature,
        Integer maxTokens) {

    record Message(String role, String content) {
    }
}
