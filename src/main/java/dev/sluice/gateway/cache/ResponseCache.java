package dev.sluice.gateway.cache;

import java.time.Duration;

import reactor.core.publisher.Mono;

/**
 * Where encoded replies are kept: Redis, shared by the replicas, or this replica's memory. Both behave the same:
 * an entry lives for its TTL at most, may be evicted sooner when space runs out, and a failure is an error signal
 * that the caller turns into a miss; nothing here blocks.
 */
interface ResponseCache {

    /** The entry under {@code key}, or empty. */
    Mono<byte[]> get(String key);

    /** Stores {@code value} under {@code key} for {@code ttl}, replacing what was there. */
    Mono<Void> put(String key, byte[] value, Duration ttl);

    /** Removes every entry; emits how many there were. */
    Mono<Long> clear();

    /** Where entries live, for the log: {@code redis} or {@code local}. */
    String kind();

    /** Releases connections; nothing to do for an in-process cache. */
    default void close() {
    }
}
