package dev.sluice.gateway.cache;

import java.util.List;

import dev.sluice.gateway.routing.RouteTrace;

/**
 * One chat request's dealings with the cache: what its {@code Cache-Control} asked for, and, once the reply starts,
 * what the cache did ({@link #status()}) and who made the reply when no provider was called for this request itself:
 * the provider recorded with a hit, or the one serving the identical request this one shares. One per request;
 * written before the first chunk, read when the response is committed.
 */
public final class CacheRequest {

    private final CacheDirectives directives;
    private volatile CacheStatus status;
    private volatile String recordedProvider;
    private volatile RouteTrace sharedTrace;

    private CacheRequest(CacheDirectives directives) {
        this.directives = directives;
    }

    /** From the request's {@code Cache-Control} headers; a malformed one is a 400. */
    public static CacheRequest of(List<String> cacheControl) {
        return new CacheRequest(CacheDirectives.parse(cacheControl));
    }

    /** A request without cache directives. */
    public static CacheRequest none() {
        return new CacheRequest(CacheDirectives.NONE);
    }

    public CacheDirectives directives() {
        return directives;
    }

    /** What the cache did; {@code null} while undecided, or when the cache is off. */
    public CacheStatus status() {
        return status;
    }

    /** Whether the reply is a replay of a stored one. */
    public boolean cached() {
        return status == CacheStatus.HIT;
    }

    /**
     * The {@code provider/model} that made the reply when this request made no provider call of its own (a hit, or a
     * reply shared with an identical request), else {@code null}.
     */
    public String providerElsewhere() {
        String recorded = recordedProvider;
        if (recorded != null) {
            return recorded;
        }
        RouteTrace shared = sharedTrace;
        return shared == null || shared.servedBy() == null ? null : shared.servedBy().toString();
    }

    void bypassed() {
        status = CacheStatus.BYPASS;
    }

    void missed() {
        status = CacheStatus.MISS;
    }

    void hit(String provider) {
        recordedProvider = provider;
        status = CacheStatus.HIT;
    }

    /** This request shares the reply another one is fetching, under that request's trace. */
    void sharing(RouteTrace leader) {
        sharedTrace = leader;
    }
}
