package dev.sluice.gateway.cache;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores complete replies off the request path, bounded: at most {@code max-pending-writes} at once, each given up
 * after {@code write-timeout}, none over {@code max-entry-bytes}. What became of each is counted in
 * {@code sluice.cache.writes}.
 */
final class ReplyWriter {

    private static final Logger logger = LoggerFactory.getLogger(ReplyWriter.class);

    private final ResponseCache store;
    private final CacheProperties properties;
    private final CacheMeters meters;
    private final AtomicInteger pending = new AtomicInteger();

    ReplyWriter(ResponseCache store, CacheProperties properties, CacheMeters meters) {
        this.store = store;
        this.properties = properties;
        this.meters = meters;
    }

    /**
     * Stores {@code reply} under {@code key} for {@code ttl}; {@code then} runs once the write has landed, failed or
     * been refused, with whether it was attempted (a later lookup may find it).
     */
    void write(String key, CachedReply reply, Duration ttl, Landing then) {
        byte[] bytes = reply.encode();
        if (bytes.length > properties.maxEntryBytes()) {
            tooLarge();
            then.landed(false);
            return;
        }
        if (pending.incrementAndGet() > properties.maxPendingWrites()) {
            pending.decrementAndGet();
            meters.writeBusy.increment();
            then.landed(false);
            return;
        }
        store.put(key, bytes, ttl)
                .timeout(properties.writeTimeout())
                .doFinally(signal -> {
                    pending.decrementAndGet();
                    then.landed(true);
                })
                .subscribe(null, failure -> {
                    meters.writeFailed.increment();
                    logger.debug("Could not store a reply in the cache: {}", failure.getMessage());
                }, () -> {
                    meters.stored.increment();
                    meters.entryBytes.record(bytes.length);
                });
    }

    /** A reply grew over {@code max-entry-bytes} before it was complete: it is not stored. */
    void tooLarge() {
        meters.tooLarge.increment();
    }

    /** What runs after a write. */
    interface Landing {

        /** {@code attempted}: the write was sent to the store (it may have landed even if it timed out). */
        void landed(boolean attempted);
    }
}
