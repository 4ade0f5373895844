package dev.sluice.gateway.provider;

import dev.sluice.gateway.llm.ChatChunk;
import reactor.core.publisher.Flux;

/**
 * Talks to one upstream: sends one call and streams the reply back as neutral chunks.
 * <p>
 * Contract: the returned Flux is cold (nothing is sent before subscription); cancelling it aborts
 * the upstream call at once; failures arrive as {@link UpstreamException} signals; a stream that the
 * upstream cut short ends with {@link UpstreamException.StreamBroken}, never with a quiet completion.
 */
public interface ProviderClient {

    Flux<ChatChunk> stream(UpstreamCall call);

    /**
     * Whether this client may be given {@linkplain UpstreamCall#whole() whole} calls, for callers that do not stream:
     * the reply is asked of the upstream as one, its chunks all come at once when it is done, and only the total
     * timeout can bound it. A client that does not gets streamed calls only.
     */
    default boolean asksWholeReplies() {
        return false;
    }
}
