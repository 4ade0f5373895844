package dev.sluice.gateway.cache;

import java.time.Duration;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The embedded default's cache: Caffeine in this replica's memory, bounded by the bytes of its entries and keys
 * ({@code sluice.cache.local-max-bytes}), each entry with its own TTL. Entries pushed out for space are counted
 * in {@code sluice.cache.evictions}.
 */
final class LocalResponseCache implements ResponseCache {

    /** Roughly what an entry costs beyond its bytes: the key's characters and Caffeine's node. */
    private static final int OVERHEAD = 96;

    private final Cache<String, Entry> entries;

    LocalResponseCache(long maxBytes, MeterRegistry registry) {
        Counter evictions = Counter.builder("sluice.cache.evictions")
                .description("Cache entries removed before their TTL to make room").register(registry);
        this.entries = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((String key, Entry entry) -> entry.bytes.length + 2 * key.length() + OVERHEAD)
                .expireAfter(new Expiry<String, Entry>() {
                    @Override
                    public long expireAfterCreate(String key, Entry entry, long currentTime) {
                        return entry.ttlNanos;
                    }

                    @Override
                    public long expireAfterUpdate(String key, Entry entry, long currentTime, long currentDuration) {
                        return entry.ttlNanos;
                    }

                    @Override
                    public long expireAfterRead(String key, Entry entry, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .removalListener((String key, Entry entry, RemovalCause cause) -> {
                    if (cause == RemovalCause.SIZE) {
                        evictions.increment();
                    }
                })
                // Maintenance stays on Caffeine's default executor: run inline, a lookup on an event loop could wait
                // for the eviction lock.
                .build();
        Gauge.builder("sluice.cache.size", entries, cache -> cache.policy().eviction()
                        .map(eviction -> eviction.weightedSize().orElse(0L)).orElse(0L))
                .description("Bytes held by the in-process response cache").baseUnit("bytes").register(registry);
    }

    @Override
    public Mono<byte[]> get(String key) {
        return Mono.fromSupplier(() -> {
            Entry entry = entries.getIfPresent(key);
            return entry == null ? null : entry.bytes;
        });
    }

    /** Lookups never wait (Caffeine reads are lock-free); writes may wait for its eviction lock, so not on an event loop. */
    @Override
    public Mono<Void> put(String key, byte[] value, Duration ttl) {
        return Mono.<Void>fromRunnable(() -> entries.put(key, new Entry(value, ttl.toNanos())))
                .subscribeOn(Schedulers.boundedElastic());
    }

    @Override
    public Mono<Long> clear() {
        return Mono.fromSupplier(() -> {
            long count = entries.estimatedSize();
            entries.invalidateAll();
            return count;
        }).subscribeOn(Schedulers.boundedElastic());
    }

    @Override
    public String kind() {
        return "local";
    }

    private record Entry(byte[] bytes, long ttlNanos) {
    }
}
