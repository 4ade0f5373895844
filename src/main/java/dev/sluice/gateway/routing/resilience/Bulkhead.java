package dev.sluice.gateway.routing.resilience;

import java.time.Duration;

import reactor.core.publisher.Mono;
import reactor.pool.InstrumentedPool;
import reactor.pool.PoolBuilder;
import reactor.pool.PooledRef;

/**
 * At most {@code maxConcurrency} calls in flight to one provider, and at most {@code maxQueue} more
 * waiting up to {@code maxWait} for a slot. Waiting never parks a thread: the permits are a Reactor pool
 * of tokens, and a waiter is a subscription that the pool completes, times out or drops on cancel.
 */
public final class Bulkhead {

    private static final Object TOKEN = new Object();

    private final InstrumentedPool<Object> permits;
    private final Duration maxWait;

    public Bulkhead(int maxConcurrency, int maxQueue, Duration maxWait) {
        boolean queues = maxQueue > 0 && !maxWait.isZero();
        this.permits = PoolBuilder.from(Mono.just(TOKEN))
                .sizeBetween(0, maxConcurrency)
                .maxPendingAcquire(queues ? maxQueue : 0)
                .buildPool();
        this.maxWait = maxWait;
    }

    /**
     * A permit, at once or after a wait; fails with {@link reactor.pool.PoolAcquirePendingLimitException}
     * when the queue is full and {@link reactor.pool.PoolAcquireTimeoutException} when the wait is too long.
     */
    public Mono<Permit> acquire() {
        return permits.acquire(maxWait).map(Permit::new);
    }

    public int inUse() {
        return permits.metrics().acquiredSize();
    }

    public int queued() {
        return permits.metrics().pendingAcquireSize();
    }

    /** A slot held by one call; releasing twice is harmless. */
    public static final class Permit {
        private final PooledRef<Object> ref;
        private boolean released;

        private Permit(PooledRef<Object> ref) {
            this.ref = ref;
        }

        public void release() {
            if (!released) {
                released = true;
                ref.release().subscribe();
            }
        }
    }
}
