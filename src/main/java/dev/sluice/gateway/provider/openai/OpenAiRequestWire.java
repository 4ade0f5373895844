package dev.sluice.gateway.provider.openai;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The Chat Completions request body as Sluice sends it. (Replies are read with a streaming parser in
 * {@link CompletionChunkReader}, which binds nothing it does not use.)
 */
final class OpenAiRequestWire {

    private OpenAiRequestWire() {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Request(
            String model,
            List<Message> messages,
            Double temperature,
            Double topP,
            Integer maxTokens,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> stop,
            Long seed,
            Double presencePenalty,
            Double frequencyPenalty,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Tool> tools,
            Object toolChoice,
            Boolean parallelToolCalls,
            ResponseFormat responseFormat,
            String user,
            boolean stream,
            StreamOptions streamOptions) {
    }

    /**
     * {@code content} is a string, or a list of {@link Part}s; it stays when empty: an empty user message is still a
     * message.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Message(
            String role,
            Object content,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<ToolCall> toolCalls,
            String toolCallId,
            String name) {
    }

    /** A content part: {@code text}, or {@code image_url} (inline bytes as a {@code data:} URL). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Part(String type, String text, ImageUrl imageUrl) {

        static Part text(String text) {
            return new Part("text", text, null);
        }

        static Part image(String url) {
            return new Part("image_url", null, new ImageUrl(url));
        }
    }

    record ImageUrl(String url) {
    }

    record ToolCall(String id, String type, FunctionCall function) {
    }

    record FunctionCall(String name, String arguments) {
    }

    record Tool(String type, FunctionDefinition function) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record FunctionDefinition(String name, String description, JsonNode parameters, Boolean strict) {
    }

    /** {@code tool_choice} naming one function; the modes are plain strings. */
    record NamedToolChoice(String type, FunctionName function) {
    }

    record FunctionName(String name) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ResponseFormat(String type, JsonNode jsonSchema) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record StreamOptions(boolean includeUsage) {
    }
}
