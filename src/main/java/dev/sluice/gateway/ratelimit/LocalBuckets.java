package dev.sluice.gateway.ratelimit;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.SynchronizationStrategy;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Budgets in this replica: one bucket4j bucket per key. The embedded default's only store, and the
 * fallback of {@link FallbackBuckets} while Redis is away.
 * <p>
 * A full bucket is the same as no bucket, so the sweep drops full ones and memory follows the clients
 * active within the last minute. Over {@link #MAX_KEYS_PER_SCOPE} (a flood of distinct addresses), the sweep
 * drops others too, forgetting what those clients had spent. Each bucket is guarded by its own monitor, held
 * for the few dozen nanoseconds a consumption takes, so that the sweep can retire a bucket without a
 * concurrent request spending from it after it is gone (which would let that request through for free).
 */
final class LocalBuckets implements Buckets {

    static final int MAX_KEYS_PER_SCOPE = 100_000;

    private final Scope[] scopes;

    LocalBuckets(RateLimitProperties properties) {
        this(properties, TimeMeter.SYSTEM_MILLISECONDS, MAX_KEYS_PER_SCOPE, Schedulers.parallel());
    }

    /** With a clock and a bound a test controls; {@code earlySweeps} {@code null} leaves sweeping to the test. */
    LocalBuckets(RateLimitProperties properties, TimeMeter clock, int maxKeysPerScope, Scheduler earlySweeps) {
        LimitScope[] all = LimitScope.values();
        this.scopes = new Scope[all.length];
        for (LimitScope scope : all) {
            scopes[scope.ordinal()] = new Scope(scope, properties.requestsPerMinute(scope), clock, maxKeysPerScope, earlySweeps);
        }
    }

    @Override
    public RateLimitDecision tryConsumeNow(LimitScope scope, String key) {
        return scopes[scope.ordinal()].consume(key);
    }

    @Override
    public Mono<RateLimitDecision> tryConsume(LimitScope scope, String key) {
        return Mono.just(tryConsumeNow(scope, key));
    }

    @Override
    public Mono<RateLimitDecision> tryConsume(LimitScope scope, String key, long amount) {
        return Mono.just(scopes[scope.ordinal()].consume(key, amount));
    }

    @Override
    public Mono<Void> settle(LimitScope scope, String key, long charged, long used) {
        return Mono.fromRunnable(() -> scopes[scope.ordinal()].settle(key, charged, used));
    }

    @Override
    public void sweep() {
        for (Scope scope : scopes) {
            scope.buckets.sweep();
        }
    }

    /** Requests a minute of {@code key}'s budget in {@code scope}. */
    long limit(LimitScope scope, String key) {
        return Buckets.limitOf(scope, key, scopes[scope.ordinal()].limit);
    }

    int size(LimitScope scope) {
        return scopes[scope.ordinal()].buckets.size();
    }

    private static final class Scope {

        private final LimitScope scope;
        private final long limit;
        private final SweptMap<Slot> buckets;

        Scope(LimitScope scope, long limit, TimeMeter clock, int maxKeys, Scheduler earlySweeps) {
            this.scope = scope;
            this.limit = limit;
            Bandwidth bandwidth = scope.sized() ? null : Buckets.perMinute(limit);
            this.buckets = new SweptMap<>(key -> {
                long size = Buckets.limitOf(scope, key, limit);
                return new Slot(Bucket.builder().withCustomTimePrecision(clock)
                        // The slot's monitor already serialises each bucket's use.
                        .withSynchronizationStrategy(SynchronizationStrategy.NONE)
                        .addLimit(bandwidth != null ? bandwidth : Buckets.perMinute(size)).build(), size);
            }, maxKeys, earlySweeps);
        }

        RateLimitDecision consume(String key) {
            return consume(key, 1);
        }

        RateLimitDecision consume(String key, long amount) {
            while (true) {
                Slot slot = buckets.get(key);
                ConsumptionProbe probe = slot.tryConsume(amount);
                if (probe != null) {
                    return RateLimitDecision.of(scope, slot.capacity, probe);
                }
                buckets.remove(key, slot); // retired by the sweep just now: the next one is fresh
            }
        }

        void settle(String key, long charged, long used) {
            while (true) {
                Slot slot = buckets.get(key);
                if (slot.add(Buckets.settlement(slot.capacity, charged, used))) {
                    return;
                }
                buckets.remove(key, slot);
            }
        }
    }

    private static final class Slot implements SweptMap.Slot {

        private final Bucket bucket;
        private final long capacity;
        private boolean retired;

        Slot(Bucket bucket, long capacity) {
            this.bucket = bucket;
            this.capacity = capacity;
        }

        /** The probe, or {@code null} when the sweep has retired this slot. */
        synchronized ConsumptionProbe tryConsume(long amount) {
            return retired ? null : bucket.tryConsumeAndReturnRemaining(Math.min(amount, capacity));
        }

        /**
         * Adds {@code tokens} (bucket4j keeps the bucket within its capacity), or takes them when negative, below zero
         * if need be; {@code false} when the sweep has retired this slot.
         */
        synchronized boolean add(long tokens) {
            if (retired) {
                return false;
            }
            if (tokens > 0) {
                bucket.addTokens(tokens);
            }
            else if (tokens < 0) {
                bucket.consumeIgnoringRateLimits(-tokens);
            }
            return true;
        }

        @Override
        public synchronized boolean retire(boolean force) {
            if (force || bucket.getAvailableTokens() >= capacity) {
                retired = true;
            }
            return retired;
        }
    }
}
