package dev.sluice.gateway.chat.openai;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The response bodies of the {@code /v1} API, as OpenAI's SDKs read them (a stream's chunks: {@link ChatCompletionEncoder}).
 * What the upstream said beyond the neutral model ({@code extra}: JSON nodes, or raw JSON) comes after each object's
 * own fields; a choice other than the first is a JSON object of its own, as the upstream's stream made it.
 */
final class ChatCompletionWire {

    private ChatCompletionWire() {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Completion(String id, String object, long created, String model, List<Object> choices, Usage usage,
            @JsonAnyGetter Map<String, Object> extra) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Choice(int index, Message message, String finishReason, @JsonAnyGetter Map<String, Object> extra) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Message(String role, String content, @JsonInclude(JsonInclude.Include.NON_EMPTY) List<ToolCall> toolCalls,
            @JsonAnyGetter Map<String, Object> extra) {
    }

    record ToolCall(String id, String type, Function function) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Function(String name, String arguments) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Usage(int promptTokens, int completionTokens, int totalTokens, @JsonAnyGetter Map<String, Object> details) {
    }

    record ModelList(String object, List<Model> data) {
    }

    /** OpenAI's model object; {@code description} is Sluice's own, set only to flag the demo simulator. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Model(String id, String object, long created, String ownedBy, String description) {
    }
}
