package dev.sluice.gateway.chat.anthropic;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAnySetter;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The body of {@code POST /v1/messages} (and of {@code /v1/messages/count_tokens}) as Anthropic defines it. Fields
 * that take several shapes (string or blocks) and the blocks themselves stay JSON here, read by
 * {@link MessagesRequestReader}, which names the field when one is wrong. Fields Anthropic has and Sluice does not
 * model land in {@code others}, so that the reader refuses them by name rather than drop them.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record MessagesRequest(
        String model,
        Integer maxTokens,
        JsonNode system,
        List<Message> messages,
        List<JsonNode> tools,
        JsonNode toolChoice,
        Double temperature,
        Double topP,
        JsonNode topK,
        List<String> stopSequences,
        Boolean stream,
        JsonNode metadata,
        JsonNode thinking,
        JsonNode contextManagement,
        JsonNode outputConfig,
        @JsonAnySetter Map<String, JsonNode> others) {

    /** {@code content} is a string or an array of content blocks. */
    record Message(String role, JsonNode content) {
    }
}
