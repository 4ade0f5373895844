package dev.sluice.gateway.ratelimit;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import io.lettuce.core.RedisCommandTimeoutException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.publisher.Mono;

/**
 * Shared budgets that degrade instead of failing, for a Redis that is gone, not one that is busy:
 * <ul>
 * <li>Unreachable (not connected, the connection refused or closed, or a decision that timed out while Redis
 * answered no command at all since it was asked): the decision comes from this replica's own buckets, so limits
 * still hold (each replica allows the full budget) and nothing fails. While degraded, only one request a second
 * tries Redis again, so a dead Redis does not slow every request down.</li>
 * <li>Busy (a decision that timed out while Redis answered other commands sent after it was asked, or too many
 * requests of one key waiting for it): the request is refused with a retry in a second, as if its budget were spent,
 * counted in {@code sluice.ratelimit.slow}. Falling back then would give each replica a whole budget of its own
 * exactly when load is highest, loosening the shared limit by the number of replicas.</li>
 * </ul>
 * A decision from a token this replica already holds ({@link Lease}) needs neither: it is made at once.
 * Entering and leaving the degraded state is logged once each (a flapping Redis at most once a minute);
 * {@code sluice.ratelimit.fallback} counts the decisions made locally and {@code sluice.ratelimit.degraded}
 * is 1 meanwhile.
 * <p>
 * A settlement ({@link #settle}) goes where decisions go: to this replica's buckets while degraded, else to Redis.
 * One that Redis does not take is lost, never retried or failed: counted in {@code sluice.ratelimit.settlements.failed}
 * and logged at most once a minute; the next decision finds out whether Redis is gone.
 */
final class FallbackBuckets implements Buckets {

    static final Duration RETRY_EVERY = Duration.ofSeconds(1);
    static final Duration QUIET = Duration.ofMinutes(1);
    private static final Log logger = LogFactory.getLog(FallbackBuckets.class);

    private final SharedBuckets shared;
    private final LocalBuckets local;
    private final Duration timeout;
    private final long retryEveryNanos;
    private final LongSupplier nanoTime;
    private final Counter fallbacks;
    private final Counter slow;
    private final AtomicBoolean degraded = new AtomicBoolean();
    /** When degradation was last logged: a Redis that flaps is logged once a minute, not once a flap. */
    private final AtomicLong lastAnnounced;
    /** When a lost settlement was last logged. */
    private final AtomicLong lastSettlementLogged;
    private final Counter settlementsFailed;
    private volatile boolean announced;
    /** While degraded, the {@link System#nanoTime()} from which the next request may try Redis again. */
    private final AtomicLong nextAttempt = new AtomicLong();

    FallbackBuckets(SharedBuckets shared, LocalBuckets local, MeterRegistry registry, Duration timeout) {
        this(shared, local, registry, timeout, RETRY_EVERY, System::nanoTime);
    }

    FallbackBuckets(SharedBuckets shared, LocalBuckets local, MeterRegistry registry, Duration timeout, Duration retryEvery,
            LongSupplier nanoTime) {
        this.shared = shared;
        this.local = local;
        this.timeout = timeout;
        this.retryEveryNanos = retryEvery.toNanos();
        this.nanoTime = nanoTime;
        this.lastAnnounced = new AtomicLong(nanoTime.getAsLong() - QUIET.toNanos());
        this.lastSettlementLogged = new AtomicLong(nanoTime.getAsLong() - QUIET.toNanos());
        this.settlementsFailed = Counter.builder("sluice.ratelimit.settlements.failed")
                .description("Settlements of a charge to the real usage (a key's tokens a minute) that Redis did not take")
                .register(registry);
        this.fallbacks = Counter.builder("sluice.ratelimit.fallback")
                .description("Rate-limit decisions a replica made alone because Redis was unreachable or slow")
                .register(registry);
        this.slow = Counter.builder("sluice.ratelimit.slow")
                .description("Requests refused because Redis, connected and answering others, did not decide in time")
                .register(registry);
        Gauge.builder("sluice.ratelimit.degraded", degraded, state -> state.get() ? 1 : 0)
                .description("1 while rate limits are per replica because Redis is unreachable or slow")
                .register(registry);
    }

    @Override
    public RateLimitDecision tryConsumeNow(LimitScope scope, String key) {
        if (degraded.get()) {
            if (retryDue()) {
                return null; // this one may try Redis again: tryConsume claims the attempt
            }
            fallbacks.increment();
            return local.tryConsumeNow(scope, key);
        }
        return shared.tryConsumeNow(scope, key);
    }

    @Override
    public Mono<RateLimitDecision> tryConsume(LimitScope scope, String key) {
        return decideShared(scope, key, () -> shared.tryConsume(scope, key), () -> local.tryConsume(scope, key));
    }

    @Override
    public Mono<RateLimitDecision> tryConsume(LimitScope scope, String key, long amount) {
        return decideShared(scope, key, () -> shared.tryConsume(scope, key, amount), () -> local.tryConsume(scope, key, amount));
    }

    private Mono<RateLimitDecision> decideShared(LimitScope scope, String key, Supplier<Mono<RateLimitDecision>> fromShared,
            Supplier<Mono<RateLimitDecision>> fromLocal) {
        if (degraded.get() && !claimRetry()) {
            fallbacks.increment();
            return fromLocal.get();
        }
        long sent = nanoTime.getAsLong();
        return fromShared.get()
                .timeout(timeout)
                .doOnNext(decision -> answered(sent))
                .onErrorResume(failure -> isBusy(failure, sent) ? Mono.just(tooSlow(scope, key)) : fallBack(failure, fromLocal));
    }

    @Override
    public Mono<Void> settle(LimitScope scope, String key, long charged, long used) {
        if (degraded.get()) {
            return local.settle(scope, key, charged, used);
        }
        return shared.settle(scope, key, charged, used)
                .timeout(timeout)
                .onErrorResume(failure -> {
                    settlementsFailed.increment();
                    if (mayLog(lastSettlementLogged)) {
                        logger.warn("A rate-limit settlement was not taken by Redis and is dropped (" + describe(failure)
                                + "); its charge stands as estimated");
                    }
                    return Mono.empty();
                });
    }

    @Override
    public void sweep() {
        shared.sweep();
        local.sweep();
    }

    boolean degraded() {
        return degraded.get();
    }

    /** A timeout while Redis answered other commands after this decision was asked, or a queue full: busy, not gone. */
    private boolean isBusy(Throwable failure, long sent) {
        boolean timedOut = failure instanceof TimeoutException || failure instanceof RedisCommandTimeoutException
                || failure.getCause() instanceof RedisCommandTimeoutException;
        return (timedOut && shared.lastAnswerNanos() - sent > 0) || failure == RedisUnavailableException.TOO_MANY_WAITING;
    }

    private RateLimitDecision tooSlow(LimitScope scope, String key) {
        slow.increment();
        return RateLimitDecision.undecided(scope, local.limit(scope, key));
    }

    /** Lets exactly one request through to Redis once the wait is over. */
    private boolean claimRetry() {
        long next = nextAttempt.get();
        long now = nanoTime.getAsLong();
        return now - next >= 0 && nextAttempt.compareAndSet(next, now + retryEveryNanos);
    }

    private boolean retryDue() {
        return nanoTime.getAsLong() - nextAttempt.get() >= 0;
    }

    private Mono<RateLimitDecision> fallBack(Throwable failure, Supplier<Mono<RateLimitDecision>> fromLocal) {
        nextAttempt.set(nanoTime.getAsLong() + retryEveryNanos);
        if (degraded.compareAndSet(false, true) && mayLog(lastAnnounced)) {
            announced = true;
            logger.warn("Rate limits are per replica until Redis answers again (" + describe(failure)
                    + "); each replica now allows the whole budget by itself");
        }
        fallbacks.increment();
        return fromLocal.get();
    }

    /** A decision from the shared budgets: Redis is back if it answered since (not if a held token decided). */
    private void answered(long sent) {
        if (shared.lastAnswerNanos() - sent >= 0) {
            recovered();
        }
    }

    private void recovered() {
        if (degraded.get() && degraded.compareAndSet(true, false) && announced) {
            announced = false;
            logger.info("Redis answers again: rate limits are shared across replicas");
        }
    }

    /** At most once every {@link #QUIET}, since {@code lastLogged}. */
    private boolean mayLog(AtomicLong lastLogged) {
        long last = lastLogged.get();
        long now = nanoTime.getAsLong();
        return now - last >= QUIET.toNanos() && lastLogged.compareAndSet(last, now);
    }

    private String describe(Throwable failure) {
        if (failure instanceof TimeoutException) {
            return "no answer within " + timeout.toMillis() + " ms";
        }
        return failure.getClass().getSimpleName() + ": " + failure.getMessage();
    }
}
