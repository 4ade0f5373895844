package dev.sluice.gateway.provider;

import dev.sluice.gateway.llm.ChatRequest;

/**
 * One call to one upstream.
 *
 * @param model the provider's own model name (without the {@code provider/} prefix)
 * @param request the request, already carrying the context and system prompt to send
 * @param apiKey the key to authenticate with, or {@code null} for providers that take none
 */
public record UpstreamCall(String model, ChatRequest request, String apiKey) {

    /**
     * Whether the upstream streams its reply: when the caller streams. For a caller that waits for the whole reply
     * the upstream is asked for one JSON body, which the gateway reads once instead of an event per token.
     */
    public boolean streamed() {
        return request.stream();
    }

    @Override
    public String toString() {
        return "UpstreamCall[model=" + model + "]";
    }
}
