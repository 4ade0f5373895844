package dev.sluice.gateway.cache;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Looking stored replies up: a lookup waits {@code lookup-timeout} at most, and a failed, slow or unreadable one is a
 * miss, never an error for the client. An outage is metered, and logged when it starts (at most once a minute) and
 * when it ends.
 */
final class ReplyStore {

    private static final Logger logger = LoggerFactory.getLogger(ReplyStore.class);
    private static final long QUIET_NANOS = Duration.ofMinutes(1).toNanos();

    private final ResponseCache store;
    private final Duration lookupTimeout;
    private final CacheMeters meters;
    private final AtomicLong lastAnnounced = new AtomicLong(System.nanoTime() - QUIET_NANOS);
    private volatile boolean announced;

    ReplyStore(ResponseCache store, Duration lookupTimeout, CacheMeters meters) {
        this.store = store;
        this.lookupTimeout = lookupTimeout;
        this.meters = meters;
    }

    /** The reply stored under {@code key}, if there is one no older than {@code maxAge} ({@code null}: any age). */
    Mono<CachedReply> lookUp(String key, Duration maxAge) {
        return store.get(key)
                .timeout(lookupTimeout)
                .doOnSuccess(found -> answered())
                .onErrorResume(this::unavailable)
                .flatMap(bytes -> Mono.justOrEmpty(decode(key, bytes)))
                .filter(reply -> maxAge == null || System.currentTimeMillis() - reply.storedAtMillis() <= maxAge.toMillis());
    }

    /** Removes every entry; emits how many there were. */
    Mono<Long> clear() {
        return store.clear();
    }

    private static CachedReply decode(String key, byte[] bytes) {
        try {
            return CachedReply.decode(bytes);
        }
        catch (IllegalArgumentException unreadable) {
            // Written by another version, or damaged: a miss, and the fresh reply overwrites it.
            logger.debug("Ignoring the unreadable cache entry {}: {}", key, unreadable.getMessage());
            return null;
        }
    }

    private void answered() {
        if (meters.degraded.compareAndSet(true, false) && announced) {
            announced = false;
            logger.info("Response cache lookups work again");
        }
    }

    private Mono<byte[]> unavailable(Throwable failure) {
        meters.lookupUnavailable.increment();
        long now = System.nanoTime();
        long last = lastAnnounced.get();
        if (meters.degraded.compareAndSet(false, true) && now - last >= QUIET_NANOS && lastAnnounced.compareAndSet(last, now)) {
            announced = true;
            logger.warn("Response cache ({}) lookups fail or take over {} ms; they are misses until it answers again: {}",
                    store.kind(), lookupTimeout.toMillis(),
                    failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage());
        }
        return Mono.empty();
    }
}
