package dev.sluice.gateway.provider.openai;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;
import tools.jackson.databind.util.RawValue;

/**
 * The Chat Completions request body as Sluice sends it. (Replies are read with a streaming parser in
 * {@link CompletionChunkReader}, which binds nothing it does not use.) What the caller sent that the neutral model
 * does not model goes back in as it came, raw: the request's other parameters after the ones modelled here, a
 * message's other fields after its own, and content parts of other kinds in their place.
 */
final class OpenAiRequestWire {

    private OpenAiRequestWire() {
    }

    /** One of {@code maxTokens} and {@code maxCompletionTokens} is set, or neither. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Request(
            String model,
            List<Message> messages,
            Double temperature,
            Double topP,
            Integer maxTokens,
            Integer maxCompletionTokens,
            Integer n,
            String reasoningEffort,
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
            StreamOptions streamOptions,
            @JsonAnyGetter Map<String, RawValue> passThrough) {
    }

    /**
     * {@code content} is a string, or a list of {@link Part}s and raw parts; it stays when empty: an empty user message
     * is still a message.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Message(
            String role,
            Object content,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<ToolCall> toolCalls,
            String toolCallId,
            String name,
            @JsonAnyGetter Map<String, RawValue> extra) {
    }

    /** A content part: {@code text}, or {@code image_url} (inline bytes as a {@code data:} URL). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Part(String type, String text, ImageUrl imageUrl) {

        static Part text(String text) {
            return new Part("text", text, null);
        }

        static Part image(String url, String detail) {
            return new Part("image_url", null, new ImageUrl(url, detail));
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ImageUrl(String url, String detail) {
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
