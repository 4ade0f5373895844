package dev.sluice.gateway.provider;

import java.net.URI;
import java.util.function.Supplier;

import reactor.core.publisher.Mono;

/**
 * Sends one JSON request to an upstream and reads its whole JSON reply, on the provider's own pooled connections:
 * the calls whose reply does not stream (embeddings). The same contract as {@link ProviderClient}: cold, cancelled
 * with its subscription, failing with {@link UpstreamException}s typed as a chat's are.
 */
public interface JsonClient {

    /**
     * POSTs {@code body}, written as JSON, with {@code apiKey} (may be {@code null}) sent as the provider's protocol
     * sends keys, and returns the bytes of a 2xx reply. A reply longer than {@code maxReplyBytes} is not read on: the
     * call fails with what {@code tooLarge} makes, and its connection is closed.
     */
    Mono<byte[]> post(URI uri, Object body, String apiKey, int maxReplyBytes, Supplier<? extends RuntimeException> tooLarge);
}
