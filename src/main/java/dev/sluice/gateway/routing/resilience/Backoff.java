package dev.sluice.gateway.routing.resilience;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with full jitter, so that retries from many requests do not arrive in waves. */
public record Backoff(Duration initial, Duration max) {

    /** The pause before retry number {@code retry} (0 for the first). */
    public Duration before(int retry) {
        long ceiling = Math.min(max.toNanos(), initial.toNanos() << Math.min(retry, 20));
        return Duration.ofNanos(ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1));
    }
}
