package dev.sluice.gateway.ratelimit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.github.bucket4j.TimeMeter;

/** Time that moves only when a test says so, for bucket4j and the fallback's timers alike. */
final class ManualClock implements TimeMeter {

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    void advance(Duration duration) {
        nanos.addAndGet(duration.toNanos());
    }

    @Override
    public long currentTimeNanos() {
        return nanos.get();
    }

    @Override
    public boolean isWallClockBased() {
        return false;
    }
}
