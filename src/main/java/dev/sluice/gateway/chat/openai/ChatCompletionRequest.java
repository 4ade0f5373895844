package dev.sluice.gateway.chat.openai;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAnySetter;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The body of {@code POST /v1/chat/completions} as OpenAI defines it. Fields that take several shapes
 * (string or array content, string or object tool choice) stay JSON here and are read by
 * {@link ChatCompletionRequestReader}, which names the field when one is wrong. The fields Sluice has no use for
 * ({@code logprobs}, {@code metadata}, whatever OpenAI adds next) land in {@code others}, of the request and of each
 * message, to be passed on as they came.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record ChatCompletionRequest(
        String model,
        List<Message> messages,
        Boolean stream,
        StreamOptions streamOptions,
        Double temperature,
        Double topP,
        Integer maxTokens,
        Integer maxCompletionTokens,
        JsonNode stop,
        Long seed,
        Double presencePenalty,
        Double frequencyPenalty,
        List<Tool> tools,
        JsonNode toolChoice,
        Boolean parallelToolCalls,
        ResponseFormat responseFormat,
        String reasoningEffort,
        String user,
        Integer n,
        @JsonAnySetter Map<String, JsonNode> others) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record StreamOptions(Boolean includeUsage) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Message(String role, JsonNode content, List<ToolCall> toolCalls, String toolCallId, String name,
            @JsonAnySetter Map<String, JsonNode> others) {
    }

    record ToolCall(String id, String type, FunctionCall function) {
    }

    record FunctionCall(String name, String arguments) {
    }

    record Tool(String type, Function function) {
    }

    record Function(String name, String description, JsonNode parameters, Boolean strict) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record ResponseFormat(String type, JsonNode jsonSchema) {
    }
}
