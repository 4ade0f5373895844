package dev.sluice.gateway.ratelimit;

import java.util.function.Function;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Budgets in Redis, one key per client address or account, so that every replica spends from the same
 * budget. bucket4j's compare-and-swap over Lettuce's async API: nothing here waits on a thread.
 * <p>
 * Keys name the limit ({@code sluice:ratelimit:per-user:60:<user id>}), so that a changed limit starts from
 * fresh buckets instead of inheriting ones built for another size. Each key's bucket proxy is kept while it
 * is in use, because bucket4j's batching lives in the proxy: concurrent requests for one key on this replica
 * then share one compare-and-swap round instead of racing each other's. A proxy holds no budget (that is in
 * Redis), so dropping an idle one loses nothing.
 */
final class RedisBuckets implements Buckets {

    static final String PREFIX = "sluice:ratelimit:";

    private final RedisBucketConnection redis;
    private final Scope[] scopes;

    RedisBuckets(RedisBucketConnection redis, RateLimitProperties properties) {
        this.redis = redis;
        LimitScope[] all = LimitScope.values();
        this.scopes = new Scope[all.length];
        for (LimitScope scope : all) {
            scopes[scope.ordinal()] = new Scope(scope, properties.requestsPerMinute(scope));
        }
    }

    @Override
    public Mono<RateLimitDecision> tryConsume(LimitScope scope, String key) {
        AsyncProxyManager<String> manager = redis.buckets();
        if (manager == null) {
            return Mono.error(RedisUnavailableException.NOT_CONNECTED);
        }
        return scopes[scope.ordinal()].consume(key); // a failure, even a thrown one, arrives as an error signal
    }

    @Override
    public void sweep() {
        for (Scope scope : scopes) {
            scope.proxies.sweep();
        }
    }

    /** The Redis key of a budget. */
    static String key(LimitScope scope, long limit, String client) {
        return PREFIX + scope.tag() + ":" + limit + ":" + client;
    }

    private final class Scope {

        private final LimitScope scope;
        private final long limit;
        private final BucketConfiguration configuration;
        private final SweptMap<Proxy> proxies;
        /** Held once, so that the hot path allocates no lambda for it. */
        private final Function<ConsumptionProbe, RateLimitDecision> decision;

        Scope(LimitScope scope, long limit) {
            this.scope = scope;
            this.limit = limit;
            this.configuration = BucketConfiguration.builder().addLimit(Buckets.perMinute(limit)).build();
            this.proxies = new SweptMap<>(this::newProxy, LocalBuckets.MAX_KEYS_PER_SCOPE, Schedulers.parallel());
            this.decision = probe -> RateLimitDecision.of(this.scope, this.limit, probe);
        }

        Mono<RateLimitDecision> consume(String client) {
            // On the connection's loop (see RedisBucketConnection). Cancelling on timeout must not cancel
            // bucket4j's future: a batch may be waiting on it.
            return Mono.fromFuture(() -> proxies.get(client).use().tryConsumeAndReturnRemaining(1), true)
                    .subscribeOn(redis.loop())
                    .map(decision);
        }

        private Proxy newProxy(String client) {
            AsyncProxyManager<String> manager = redis.buckets();
            if (manager == null) {
                throw RedisUnavailableException.NOT_CONNECTED;
            }
            return new Proxy(manager.builder().withOptimization(Optimizations.batching())
                    .build(key(scope, limit, client), configuration));
        }
    }

    /** A key's bucket proxy, dropped after a sweep period without use. */
    private static final class Proxy implements SweptMap.Slot {

        private final AsyncBucketProxy bucket;
        /** Racy on purpose: at worst the sweep drops a proxy in use, which only ends its batching early. */
        private boolean used = true;

        Proxy(AsyncBucketProxy bucket) {
            this.bucket = bucket;
        }

        AsyncBucketProxy use() {
            used = true;
            return bucket;
        }

        @Override
        public boolean retire(boolean force) {
            boolean idle = !used;
            used = false;
            return force || idle;
        }
    }
}
