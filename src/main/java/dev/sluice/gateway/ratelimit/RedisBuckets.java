package dev.sluice.gateway.ratelimit;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.BucketState;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.VerboseResult;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Budgets in Redis, one key per client address or account, so that every replica spends from the same budget;
 * bucket4j's compare-and-swap over Lettuce's async API, nothing waiting on a thread. Each replica takes tokens
 * from a key's budget ahead of need and decides from them alone ({@link Lease}): a request costs a Redis round trip
 * only when its replica holds no token for its key, and a call to Redis serves all the requests waiting then.
 * <p>
 * Keys name the limit ({@code sluice:ratelimit:per-user:60:<user id>}, {@code sluice:ratelimit:per-key:10:<key id>}), so
 * that a changed limit starts from fresh buckets instead of inheriting ones built for another size.
 */
final class RedisBuckets implements SharedBuckets {

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
    public RateLimitDecision tryConsumeNow(LimitScope scope, String key) {
        return scopes[scope.ordinal()].leases.get(key).spendHeld();
    }

    @Override
    public Mono<RateLimitDecision> tryConsume(LimitScope scope, String key) {
        if (redis.buckets() == null) {
            return Mono.error(RedisUnavailableException.NOT_CONNECTED);
        }
        SweptMap<Lease> leases = scopes[scope.ordinal()].leases;
        while (true) {
            Lease lease = leases.get(key);
            CompletableFuture<RateLimitDecision> decision = lease.take();
            if (decision != null) {
                return Mono.fromFuture(decision); // cancelled (timed out): the lease serves the next one instead
            }
            leases.remove(key, lease); // retired by the sweep just now: the next one is fresh
        }
    }

    /** Straight to Redis, on its connection's loop: amounts are for budgets few keys have (an API key's tokens). */
    @Override
    public Mono<RateLimitDecision> tryConsume(LimitScope scope, String key, long amount) {
        long limit = Buckets.limitOf(scope, key, scopes[scope.ordinal()].limit);
        return onBucket(scope, key, limit, bucket -> bucket.tryConsumeAndReturnRemaining(Math.min(amount, limit)),
                probe -> RateLimitDecision.of(scope, limit, probe));
    }

    /** Straight to Redis on its connection's loop, as the charge was: bucket4j's add or forced take, one round trip. */
    @Override
    public Mono<Void> settle(LimitScope scope, String key, long charged, long used) {
        long limit = Buckets.limitOf(scope, key, scopes[scope.ordinal()].limit);
        long tokens = Buckets.settlement(limit, charged, used);
        if (tokens == 0) {
            return Mono.empty();
        }
        return onBucket(scope, key, limit,
                bucket -> (tokens > 0 ? bucket.addTokens(tokens) : bucket.consumeIgnoringRateLimits(-tokens))
                        .thenApply(settled -> (Void) null),
                done -> done);
    }

    /**
     * One call to the Redis bucket of {@code key} at {@code limit}, made on the connection's loop, what it answers
     * mapped by {@code answer} ({@code null}: nothing); its failure as the cause bucket4j wrapped.
     */
    private <R, T> Mono<T> onBucket(LimitScope scope, String key, long limit,
            Function<AsyncBucketProxy, CompletableFuture<R>> call, Function<R, T> answer) {
        Scope budgets = scopes[scope.ordinal()];
        return Mono.fromFuture(() -> {
            CompletableFuture<T> result = new CompletableFuture<>();
            redis.loop().schedule(() -> {
                AsyncProxyManager<String> manager = redis.buckets();
                if (manager == null) {
                    result.completeExceptionally(RedisUnavailableException.NOT_CONNECTED);
                    return;
                }
                try {
                    call.apply(manager.builder().build(key(scope, limit, key), budgets.configuration(limit)))
                            .whenComplete((value, failure) -> {
                                if (failure != null) {
                                    result.completeExceptionally(failure instanceof CompletionException
                                            && failure.getCause() != null ? failure.getCause() : failure);
                                }
                                else {
                                    result.complete(answer.apply(value));
                                }
                            });
                }
                catch (RuntimeException failure) {
                    result.completeExceptionally(failure);
                }
            });
            return result;
        });
    }

    @Override
    public long lastAnswerNanos() {
        return redis.lastAnswerNanos();
    }

    @Override
    public void sweep() {
        for (Scope scope : scopes) {
            scope.leases.sweep();
        }
    }

    /** The Redis key of a budget; a {@link LimitScope#sized} scope's keys name their limit already. */
    static String key(LimitScope scope, long limit, String client) {
        return scope.sized() ? PREFIX + scope.tag() + ":" + client : PREFIX + scope.tag() + ":" + limit + ":" + client;
    }

    private final class Scope {

        private final LimitScope scope;
        private final long limit;
        private final BucketConfiguration configuration;
        private final SweptMap<Lease> leases;

        Scope(LimitScope scope, long limit) {
            this.scope = scope;
            this.limit = limit;
            this.configuration = scope.sized() ? null : BucketConfiguration.builder().addLimit(Buckets.perMinute(limit)).build();
            this.leases = new SweptMap<>(client -> {
                long size = Buckets.limitOf(scope, client, limit);
                return new Lease(scope, size, new SharedBudget(key(scope, size, client), configuration(size)),
                        TimeMeter.SYSTEM_NANOTIME);
            }, LocalBuckets.MAX_KEYS_PER_SCOPE, Schedulers.parallel());
        }

        /** The scope's configuration, or one for a budget of {@code size} in a sized scope. */
        BucketConfiguration configuration(long size) {
            return configuration != null ? configuration : BucketConfiguration.builder().addLimit(Buckets.perMinute(size)).build();
        }
    }

    /** One key's bucket in Redis, used on the connection's loop only (see {@link RedisBucketConnection}). */
    private final class SharedBudget implements Lease.Budget {

        private final String key;
        private final BucketConfiguration configuration;
        /** Made on first use, once connected. */
        private AsyncBucketProxy bucket;

        SharedBudget(String key, BucketConfiguration configuration) {
            this.key = key;
            this.configuration = configuration;
        }

        @Override
        public void take(long atMost, Lease lease) {
            redis.loop().schedule(() -> {
                try {
                    bucket().asVerbose().tryConsumeAsMuchAsPossible(atMost).whenComplete((result, failure) -> {
                        if (failure != null) {
                            lease.failed(failure instanceof CompletionException && failure.getCause() != null
                                    ? failure.getCause() : failure);
                        }
                        else {
                            lease.granted(grant(result));
                        }
                    });
                }
                catch (RuntimeException failure) {
                    lease.failed(failure);
                }
            });
        }

        @Override
        public void giveBack(long tokens) {
            redis.loop().schedule(() -> {
                if (redis.buckets() != null) {
                    bucket().addTokens(tokens); // best effort: tokens lost with Redis come back with its refill
                }
            });
        }

        private AsyncBucketProxy bucket() {
            if (bucket == null) {
                AsyncProxyManager<String> manager = redis.buckets();
                if (manager == null) {
                    throw RedisUnavailableException.NOT_CONNECTED;
                }
                bucket = manager.builder().build(key, configuration);
            }
            return bucket;
        }

        private static Lease.Grant grant(VerboseResult<Long> result) {
            BucketState state = result.getState();
            return new Lease.Grant(result.getValue(), state.getAvailableTokens(),
                    state.calculateDelayNanosAfterWillBePossibleToConsume(1, result.getOperationTimeNanos(), false));
        }
    }
}
