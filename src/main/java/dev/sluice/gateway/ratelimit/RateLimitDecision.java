package dev.sluice.gateway.ratelimit;

import io.github.bucket4j.ConsumptionProbe;

/**
 * The outcome of spending one request from one budget: a value, so that combining budgets and writing
 * headers are plain functions; only the filter turns a refusal into a 429.
 *
 * @param scope the budget this is about
 * @param allowed whether the request was let through (and a token spent)
 * @param limit the budget's size, requests (or tokens) a minute
 * @param remaining requests left right now
 * @param resetSeconds seconds until the budget is full again
 * @param retryAfterSeconds when refused, seconds until one request fits again (at least 1); 0 when allowed
 */
public record RateLimitDecision(LimitScope scope, boolean allowed, long limit, long remaining, long resetSeconds,
        long retryAfterSeconds) {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    static RateLimitDecision of(LimitScope scope, long limit, ConsumptionProbe probe) {
        boolean allowed = probe.isConsumed();
        long retryAfter = allowed ? 0 : Math.max(1, ceilSeconds(probe.getNanosToWaitForRefill()));
        return new RateLimitDecision(scope, allowed, limit, Math.max(0, probe.getRemainingTokens()),
                ceilSeconds(probe.getNanosToWaitForReset()), retryAfter);
    }

    /** An admission from a token this replica holds (see {@link Lease}), with {@code remaining} as far as it knows. */
    static RateLimitDecision allowed(LimitScope scope, long limit, long remaining) {
        long left = Math.min(limit, Math.max(0, remaining));
        return new RateLimitDecision(scope, true, limit, left, secondsToRefill(limit, limit - left), 0);
    }

    /** A refusal by a shared budget that has no token left for {@code nanosToNext}. */
    static RateLimitDecision refused(LimitScope scope, long limit, long nanosToNext) {
        return new RateLimitDecision(scope, false, limit, 0, secondsToRefill(limit, limit),
                Math.max(1, ceilSeconds(nanosToNext)));
    }

    /** A refusal for a budget that could not be checked in time: retry in a second. */
    static RateLimitDecision undecided(LimitScope scope, long limit) {
        return new RateLimitDecision(scope, false, limit, 0, 1, 1);
    }

    /**
     * The decision that binds when a request spends from two budgets: a refusal, otherwise the budget with
     * fewer requests left (on a tie, the one that takes longer to refill), since that one runs out first.
     */
    static RateLimitDecision binding(RateLimitDecision one, RateLimitDecision other) {
        if (one.allowed != other.allowed) {
            return one.allowed ? other : one;
        }
        if (one.remaining != other.remaining) {
            return one.remaining < other.remaining ? one : other;
        }
        return one.resetSeconds >= other.resetSeconds ? one : other;
    }

    /** What a 429 tells the client; never more than the limits it ran into. */
    String refusal() {
        return "Rate limit exceeded: the " + scope.label() + " limit of " + limit + " " + scope.unit()
                + " per minute is used up; retry in " + retryAfterSeconds + " s";
    }

    /** Seconds until {@code tokens} come back at the greedy refill of {@link Buckets#perMinute} ({@code limit} a minute). */
    private static long secondsToRefill(long limit, long tokens) {
        return (tokens * 60 + limit - 1) / limit;
    }

    private static long ceilSeconds(long nanos) {
        return nanos <= 0 ? 0 : (nanos + NANOS_PER_SECOND - 1) / NANOS_PER_SECOND;
    }
}
