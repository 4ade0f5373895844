package dev.sluice.gateway.provider;

import dev.sluice.gateway.llm.ChatRequest;

/**
 * One call to one upstream.
 *
 * @param model the provider's own model name (without the {@code provider/} prefix)
 * @param request the request, already carrying the context and system prompt to send
 * @param apiKey the key to authenticate with, or {@code null} for providers that take none
 * @param whole whether to ask the upstream for the reply whole rather than streamed: only for a caller that did not
 *        ask to stream, of a client that {@linkplain ProviderClient#asksWholeReplies() asks for whole replies}
 */
public record UpstreamCall(String model, ChatRequest request, String apiKey, boolean whole) {

    /** A call whose reply is streamed from the upstream. */
    public UpstreamCall(String model, ChatRequest request, String apiKey) {
        this(model, request, apiKey, false);
    }

    @Override
    public String toString() {
        return "UpstreamCall[model=" + model + ", whole=" + whole + "]";
    }
}
