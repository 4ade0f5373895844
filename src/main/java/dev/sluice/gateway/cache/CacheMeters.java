package dev.sluice.gateway.cache;

import java.util.concurrent.atomic.AtomicBoolean;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The cache's meters: {@code sluice.cache.requests} by result ({@code hit}, {@code miss}, {@code bypass}),
 * {@code sluice.cache.writes} by outcome ({@code stored}, {@code too_large}, {@code failed}, {@code busy}),
 * {@code sluice.cache.entry.bytes} (the size of each entry stored), {@code sluice.cache.calls.saved} (provider calls
 * a hit or a shared reply made unnecessary), {@code sluice.cache.unavailable} (lookups and writes that failed or
 * timed out and were treated as misses) and {@code sluice.cache.degraded} (1 while the last lookup failed).
 * Evictions: {@code sluice.cache.evictions} for the in-process cache; Redis reports its own ({@code evicted_keys}).
 */
final class CacheMeters {

    final Counter hits;
    final Counter misses;
    final Counter bypasses;
    final Counter stored;
    final Counter tooLarge;
    final Counter writeFailed;
    final Counter writeBusy;
    final DistributionSummary entryBytes;
    final Counter savedByHit;
    final Counter savedBySharing;
    final Counter lookupUnavailable;
    final AtomicBoolean degraded = new AtomicBoolean();

    CacheMeters(MeterRegistry registry) {
        hits = requests(registry, "hit");
        misses = requests(registry, "miss");
        bypasses = requests(registry, "bypass");
        stored = writes(registry, "stored");
        tooLarge = writes(registry, "too_large");
        writeFailed = writes(registry, "failed");
        writeBusy = writes(registry, "busy");
        entryBytes = DistributionSummary.builder("sluice.cache.entry.bytes").baseUnit("bytes")
                .description("Size of each reply stored in the cache, encoded").register(registry);
        savedByHit = saved(registry, "hit");
        savedBySharing = saved(registry, "single_flight");
        lookupUnavailable = Counter.builder("sluice.cache.unavailable").tag("operation", "lookup")
                .description("Cache operations that failed or timed out; a lookup became a miss").register(registry);
        Gauge.builder("sluice.cache.degraded", degraded, state -> state.get() ? 1 : 0)
                .description("1 while cache lookups fail: every request is a miss").register(registry);
    }

    private static Counter requests(MeterRegistry registry, String result) {
        return Counter.builder("sluice.cache.requests").tag("result", result)
                .description("Chat requests by what the cache did for them").register(registry);
    }

    private static Counter writes(MeterRegistry registry, String outcome) {
        return Counter.builder("sluice.cache.writes").tag("outcome", outcome)
                .description("Complete replies offered to the cache, by what became of them").register(registry);
    }

    private static Counter saved(MeterRegistry registry, String by) {
        return Counter.builder("sluice.cache.calls.saved").tag("by", by)
                .description("Provider calls not made: answered from the cache, or shared with an identical request")
                .register(registry);
    }
}
