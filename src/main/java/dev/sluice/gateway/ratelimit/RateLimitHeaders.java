package dev.sluice.gateway.ratelimit;

import org.springframework.http.HttpHeaders;

/**
 * The {@code X-RateLimit-*} headers every limited response carries, successful or not. {@code Retry-After}
 * on a 429 is written by the error handler from the refusal.
 */
final class RateLimitHeaders {

    static final String LIMIT = "X-RateLimit-Limit";
    static final String REMAINING = "X-RateLimit-Remaining";
    /** Seconds until the budget is full again (not an epoch time, which would need synchronised clocks). */
    static final String RESET = "X-RateLimit-Reset";

    private RateLimitHeaders() {
    }

    static void write(RateLimitDecision decision, HttpHeaders headers) {
        headers.set(LIMIT, Long.toString(decision.limit()));
        headers.set(REMAINING, Long.toString(decision.remaining()));
        headers.set(RESET, Long.toString(decision.resetSeconds()));
    }
}
