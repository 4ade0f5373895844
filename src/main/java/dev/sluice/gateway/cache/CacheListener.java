package dev.sluice.gateway.cache;

import java.util.function.Supplier;

/**
 * One request as the cache deals with it: told what the cache did for it and, when no provider was called for it,
 * who made its reply; asked, when its call is the one an identical request shares, who is serving that call.
 */
public interface CacheListener {

    /** What the cache did: told before the reply's first chunk. */
    void cacheStatus(CacheStatus status);

    /**
     * The reply is made without a call of this request's own: replayed from the cache, or shared with an identical
     * request in flight. {@code provider} gives the {@code provider/model} that made it, or {@code null} if unknown.
     */
    void servedElsewhere(Supplier<String> provider);

    /** The {@code provider/model} serving this request's own call (or tried last), or {@code null}. */
    String servedBy();
}
