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

    /**
     * Spends {@code amount} at once from the budget of {@code key} in {@code scope}, asking its store each time (no
     * tokens are held ahead for amounts); an amount over the budget's size spends the whole budget. Never blocks.
     */
    Mono<RateLimitDecision> tryConsume(LimitScope scope, String key, long amount);

    /**
     * Settles a charge of {@code charged} that {@link #tryConsume(LimitScope, String, long)} allowed to the {@code used}
     * amount it stood for ({@link #settlement}): gives back what the charge took beyond it, or takes what was used
     * beyond the charge, past the budget if need be, so that the calls after it wait. Best effort, for the end of a
     * call, off its path; never blocks. It fails only when its store does ({@link RedisBuckets}): {@link FallbackBuckets}
     * counts such a failure and ignores it.
     */
    Mono<Void> settle(LimitScope scope, String key, long charged, long used);

    /** {@link #tryConsumeNow}, else {@link #tryConsume}: the decision, made at once whenever it can be. */
    default Mono<RateLimitDecision> decide(LimitScope scope, String key) {
        RateLimitDecision now = tryConsumeNow(scope, key);
        return now != null ? Mono.just(now) : tryConsume(scope, key);
    }

    /** Forgets the keys that no longer need state; called in the background every {@link #SWEEP_EVERY}. */
    void sweep();

    /** The key of {@code id}'s budget of {@code limit} a minute in a {@link LimitScope#sized} scope. */
    static String sized(long limit, String id) {
        return limit + ":" + id;
    }

    /** The size of a budget: the scope's, or the one its key names ({@link #sized}). */
    static long limitOf(LimitScope scope, String key, long scopeLimit) {
        return scope.sized() ? Long.parseLong(key, 0, key.indexOf(':'), 10) : scopeLimit;
    }

    /**
     * What settling a charge adds to a budget of {@code capacity}: what the charge took ({@link #tryConsume} takes at
     * most the budget's size) less what was used; negative, it is taken. A debt is at most one budget's size, so that
     * one call past every estimate blocks its key for a minute or two, not for as long as it overran.
     */
    static long settlement(long capacity, long charged, long used) {
        return Math.max(Math.min(charged, capacity) - used, -capacity);
    }

    /** {@code requestsPerMinute} with a greedy refill: a token comes back every 60/n seconds, not all at once a minute later. */
    static Bandwidth perMinute(long requestsPerMinute) {
        return Bandwidth.builder().capacity(requestsPerMinute).refillGreedy(requestsPerMinute, Duration.ofMinutes(1)).build();
    }
}
