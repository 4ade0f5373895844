package dev.sluice.gateway.provider.anthropic;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** The Messages API request body as Sluice sends it. */
final class AnthropicRequestWire {

    private AnthropicRequestWire() {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Request(
            String model,
            int maxTokens,
            String system,
            List<Message> messages,
            Double temperature,
            Double topP,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> stopSequences,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Tool> tools,
            ToolChoice toolChoice,
            Metadata metadata,
            Thinking thinking,
            OutputConfig outputConfig,
            boolean stream) {
    }

    /** Extended thinking: {@code enabled}, with a budget of tokens below {@code max_tokens}. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Thinking(String type, int budgetTokens) {
    }

    /** {@code format}: the JSON Schema the reply's text must follow. */
    record OutputConfig(Format format) {
    }

    /** {@code type} is {@code json_schema}. */
    record Format(String type, JsonNode schema) {
    }

    record Message(String role, List<Block> content) {
    }

    /** One content block; which fields are set depends on its type: text, image, tool_use or tool_result. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Block(String type, String text, Source source, String id, String name, JsonNode input, String toolUseId,
            String content) {

        static Block text(String text) {
            return new Block("text", text, null, null, null, null, null, null);
        }

        static Block image(Source source) {
            return new Block("image", null, source, null, null, null, null, null);
        }

        static Block toolUse(String id, String name, JsonNode input) {
            return new Block("tool_use", null, null, id, name, input, null, null);
        }

        static Block toolResult(String toolUseId, String content) {
            return new Block("tool_result", null, null, null, null, null, toolUseId, content);
        }
    }

    /** An image's source: {@code base64} with its media type and data, or {@code url}. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Source(String type, String mediaType, String data, String url) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Tool(String name, String description, JsonNode inputSchema) {
    }

    /** {@code type} is auto, any, tool (with {@code name}) or none. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ToolChoice(String type, String name, Boolean disableParallelToolUse) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Metadata(String userId) {
    }
}
