package dev.sluice.gateway.cache;

import java.util.Locale;

/** What the cache did for one request, as {@code X-Sluice-Cache} says it. */
public enum CacheStatus {
    /** Answered from the cache: no provider call. */
    HIT,
    /** Looked up and not found: answered live (and shared with identical requests in flight). */
    MISS,
    /** Not looked up: excluded by the policy or by the request's {@code Cache-Control}. */
    BYPASS;

    /** The response header that says it. */
    public static final String HEADER = "X-Sluice-Cache";

    public String headerValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
