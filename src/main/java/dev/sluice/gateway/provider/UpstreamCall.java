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

    @Override
    public String toString() {
        return "UpstreamCall[model=" + model + "]";
    }
}
