package dev.sluice.gateway.routing;

import java.time.Duration;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.provider.ProviderProperties;
import dev.sluice.gateway.provider.UpstreamException.TimedOut;
import dev.sluice.gateway.provider.UpstreamException.TimedOut.Phase;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The time-to-first-token and total deadlines of one upstream call. The idle gap between chunks is
 * watched by the provider's HTTP client at the socket, which costs no timer per chunk. A call whose caller does
 * not stream asks the upstream for one whole reply, which says nothing until the reply is complete: only the total
 * deadline bounds it.
 */
final class StreamTimeouts {

    private StreamTimeouts() {
    }

    static Flux<ChatChunk> apply(Flux<ChatChunk> upstream, ProviderProperties.Timeouts timeouts, boolean streamed) {
        Duration firstToken = timeouts.firstToken();
        Duration total = timeouts.total();
        Flux<ChatChunk> started = streamed ? upstream.timeout(Mono.delay(firstToken), chunk -> Mono.never(),
                Flux.error(() -> new TimedOut(Phase.FIRST_TOKEN, firstToken))) : upstream;
        return started.takeUntilOther(Mono.delay(total).then(Mono.error(() -> new TimedOut(Phase.TOTAL, total))));
    }
}
