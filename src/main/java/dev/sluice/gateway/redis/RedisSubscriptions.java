package dev.sluice.gateway.redis;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Supplier;

import reactor.core.publisher.Flux;
import reactor.util.retry.Retry;

/**
 * How the replicas' Redis channels are listened to: subscribed lazily, so that a Redis that is down at startup
 * never stops the gateway starting, and subscribed again with backoff (1 s, doubling to 30 s) for as long as it
 * stays unreachable, so that listening resumes by itself when it returns.
 */
public final class RedisSubscriptions {

    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private RedisSubscriptions() {
    }

    /** The messages of {@code subscribe}'s flux, resubscribed after each failure, which {@code onLost} hears of first. */
    public static Flux<String> resubscribing(Supplier<Flux<String>> subscribe, Consumer<Throwable> onLost) {
        return Flux.defer(subscribe)
                .retryWhen(Retry.backoff(Long.MAX_VALUE, FIRST_BACKOFF).maxBackoff(MAX_BACKOFF)
                        .doBeforeRetry(signal -> onLost.accept(signal.failure())));
    }
}
