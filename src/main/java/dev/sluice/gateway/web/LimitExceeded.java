package dev.sluice.gateway.web;

import java.time.Duration;

import org.springframework.http.HttpHeaders;

/**
 * A 429 from a limit enforced past the web filters (a budget), which writes its own {@code X-RateLimit-*} headers
 * over those of the request-rate limit, as the limit that binds: its {@code limit} and what {@code remaining} of it,
 * in the limit's own unit, and the seconds until it is whole again ({@code X-RateLimit-Reset}, as
 * {@code Retry-After}).
 */
public class LimitExceeded extends GatewayException {

    private final long limit;
    private final long remaining;

    public LimitExceeded(ErrorCode code, String detail, long limit, long remaining, Duration retryAfter) {
        super(code, detail, null, retryAfter);
        this.limit = limit;
        this.remaining = remaining;
    }

    void writeHeaders(HttpHeaders headers) {
        headers.set("X-RateLimit-Limit", Long.toString(limit));
        headers.set("X-RateLimit-Remaining", Long.toString(remaining));
        headers.set("X-RateLimit-Reset", Long.toString(Math.max(1, retryAfter().toSeconds())));
    }
}
