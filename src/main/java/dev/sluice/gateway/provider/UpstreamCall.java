package dev.sluice.gateway.provider;

import dev.sluice.gateway.llm.ChatRequest;

/**
 * One call to one upstream.
 *
 * @param model the provider's own model name (without the {@code provider/} prefix)
 * @param request the request, already carrying the context and system prompt to send
 * @param apiKey the key to authenticate with, or {@code null} for providers that take none
 * @param whole whether the caller takes the reply whole (it did not ask to stream): a client that
 *        {@linkplain ProviderClient#asksWholeReplies() asks for whole replies} then asks the upstream for one
 */
public record UpstreamCall(String model, ChatRequest request, String apiKey, boolean whole) {

    /** A call whose reply the caller streams. */
    public UpstreamCall(String model, ChatRequest request, String apiKey) {
        this(model, request, apiKey, false);
    }

    @Override
    public String toString() {
        return "UpstreamCall[model=" + model + ", whole=" + whole + "]";
    }
}
