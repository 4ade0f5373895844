package dev.sluice.gateway.llm;

import java.util.List;

/**
 * A chat request in Sluice's own terms, independent of any provider's wire format.
 * Optional sampling parameters are {@code null} when the caller did not set them, so that
 * each provider applies its own default.
 *
 * @param model the alias or {@code provider/model} the caller asked for
 */
public record ChatRequest(
        String model,
        List<ChatMessage> messages,
        Double temperature,
        Double topP,
        Integer maxTokens,
        List<String> stop,
        Long seed,
        Double presencePenalty,
        Double frequencyPenalty,
        List<ToolDefinition> tools,
        ToolChoice toolChoice,
        Boolean parallelToolCalls,
        ResponseFormat responseFormat,
        String user) {

    public ChatRequest {
        messages = List.copyOf(messages);
        stop = stop == null ? List.of() : List.copyOf(stop);
        tools = tools == null ? List.of() : List.copyOf(tools);
    }

    /** A plain request: these messages to this model, everything else left to the provider. */
    public static ChatRequest of(String model, List<ChatMessage> messages) {
        return new ChatRequest(model, messages, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    public ChatRequest withMessages(List<ChatMessage> newMessages) {
        return new ChatRequest(model, newMessages, temperature, topP, maxTokens, stop, seed, presencePenalty,
                frequencyPenalty, tools, toolChoice, parallelToolCalls, responseFormat, user);
    }

    /** The same request with another reply cap ({@code max_tokens}). */
    public ChatRequest withMaxTokens(Integer newMaxTokens) {
        return new ChatRequest(model, messages, temperature, topP, newMaxTokens, stop, seed, presencePenalty,
                frequencyPenalty, tools, toolChoice, parallelToolCalls, responseFormat, user);
    }

    public ChatRequest withModel(String newModel) {
        return new ChatRequest(newModel, messages, temperature, topP, maxTokens, stop, seed, presencePenalty,
                frequencyPenalty, tools, toolChoice, parallelToolCalls, responseFormat, user);
    }
}
