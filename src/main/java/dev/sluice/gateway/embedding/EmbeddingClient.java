package dev.sluice.gateway.embedding;

import reactor.core.publisher.Mono;

/** Embeds on one provider, in its own protocol. */
interface EmbeddingClient {

    /**
     * The embeddings of {@code request} by the provider's {@code model}, with {@code apiKey} (may be {@code null}):
     * cold, cancelled with its subscription, failing with {@code UpstreamException}s; a request the protocol cannot
     * express fails with {@code UpstreamException.Rejected} (400) naming what it cannot say, before any call.
     */
    Mono<EmbeddingReply> embed(String model, EmbeddingRequest request, String apiKey);
}
