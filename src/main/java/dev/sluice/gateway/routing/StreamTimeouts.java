package dev.sluice.gateway.routing;

import java.time.Duration;
import java.util.function.Consumer;

import dev.sluice.gateway.provider.ProviderProperties;
import dev.sluice.gateway.provider.UpstreamException.TimedOut;
import dev.sluice.gateway.provider.UpstreamException.TimedOut.Phase;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The time-to-first-token and total deadlines of one upstream call. The idle gap between chunks is
 * watched by the provider's HTTP client at the socket, which costs no timer per chunk. A reply of one piece
 * (embeddings) has its first token when the whole of it has come. Timeouts whose first token is due no sooner than the
 * total (those of a chat reply asked for whole) get the total deadline alone.
 * <p>
 * Two timers a call, and per chunk only a flag: Reactor's {@code timeout(first, next)} would start and cancel a
 * subscription on every chunk to learn what one flag says. A deadline that passes cancels the call (the
 * {@code takeUntilOther} of a value does; of an error it would leave the upstream running) and then fails the
 * stream with its {@link TimedOut}.
 */
final class StreamTimeouts {

    private StreamTimeouts() {
    }

    static <T> Flux<T> apply(Flux<T> upstream, ProviderProperties.Timeouts timeouts) {
        Duration firstToken = timeouts.firstToken();
        Duration total = timeouts.total();
        return Flux.defer(() -> {
            Deadlines deadlines = new Deadlines();
            Mono<TimedOut> totalDeadline = Mono.delay(total).map(tick -> new TimedOut(Phase.TOTAL, total));
            if (firstToken.compareTo(total) >= 0) {
                // A reply asked for whole: its first token is its end, which the total deadline times.
                return upstream.takeUntilOther(totalDeadline.doOnNext(deadlines::passed))
                        .concatWith(Mono.defer(deadlines::<T>failure));
            }
            Mono<TimedOut> firstTokenDeadline = Mono.delay(firstToken).flatMap(tick -> deadlines.firstSeen ? Mono.never()
                    : Mono.just(new TimedOut(Phase.FIRST_TOKEN, firstToken)));
            return upstream.doOnNext(deadlines)
                    .takeUntilOther(Mono.firstWithSignal(firstTokenDeadline, totalDeadline).doOnNext(deadlines::passed))
                    .concatWith(Mono.defer(deadlines::<T>failure));
        });
    }

    /** Written on the stream's thread and the timer's, each field by one of them. */
    private static final class Deadlines implements Consumer<Object> {
        volatile boolean firstSeen;
        volatile TimedOut passed;

        @Override
        public void accept(Object piece) {
            if (!firstSeen) {
                firstSeen = true;
            }
        }

        void passed(TimedOut timedOut) {
            passed = timedOut;
        }

        /** After the stream ended: the deadline that ended it, if one did. */
        <T> Mono<T> failure() {
            TimedOut timedOut = passed;
            return timedOut == null ? Mono.empty() : Mono.error(timedOut);
        }
    }
}
