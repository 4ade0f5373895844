package dev.sluice.gateway.ratelimit;

import java.time.Duration;

import io.github.bucket4j.Bandwidth;
import reactor.core.publisher.Mono;

/** Where budgets live: in this replica ({@link LocalBuckets}) or in Redis, shared by all replicas ({@link RedisBuckets}). */
interface Buckets {

    Duration SWEEP_EVERY = Duration.ofSeconds(15);

    /**
     * Spends one request from the budget of {@code key} in {@code scope} when that can be decided at once, on the
     * caller's thread (a local bucket, a token this replica holds); {@code null}, spending nothing, when it cannot:
     * then {@link #tryConsume}.
     */
    RateLimitDecision tryConsumeNow(LimitScope scope, String key);

    /** Spends one request from the budget of {@code key} in {@code scope}, waiting for its store if need be; never blocks. */
    Mono<RateLimitDecision> tryConsume(LimitScope scope, String key);

    /** {@link #tryConsumeNow}, else {@link #tryConsume}: the decision, made at once whenever it can be. */
    default Mono<RateLimitDecision> decide(LimitScope scope, String key) {
        RateLimitDecision now = tryConsumeNow(scope, key);
        return now != null ? Mono.just(now) : tryConsume(scope, key);
    }

    /** Forgets the keys that no longer need state; called in the background every {@link #SWEEP_EVERY}. */
    void sweep();

    /** {@code requestsPerMinute} with a greedy refill: a token comes back every 60/n seconds, not all at once a minute later. */
    static Bandwidth perMinute(long requestsPerMinute) {
        return Bandwidth.builder().capacity(requestsPerMinute).refillGreedy(requestsPerMinute, Duration.ofMinutes(1)).build();
    }
}
