package dev.sluice.gateway.chat.anthropic;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** The response bodies of {@code /v1/messages}, as Anthropic's SDKs read them (a stream's events: {@link MessagesEncoder}). */
final class MessagesWire {

    private MessagesWire() {
    }

    /** {@code stop_sequence} is written when null, as Anthropic writes it. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Message(String id, String type, String role, String model, List<Block> content, String stopReason,
            String stopSequence, Usage usage) {
    }

    /** A {@code text} block, or a {@code tool_use} block with its id, name and input object. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Block(String type, String text, String id, String name, JsonNode input) {

        static Block text(String text) {
            return new Block("text", text, null, null, null);
        }

        static Block toolUse(String id, String name, JsonNode input) {
            return new Block("tool_use", null, id, name, input);
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Usage(long inputTokens, long outputTokens) {
    }

    /** The answer of {@code /v1/messages/count_tokens}. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record TokenCount(long inputTokens) {
    }
}
