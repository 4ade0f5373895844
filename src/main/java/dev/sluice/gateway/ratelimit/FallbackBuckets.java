package dev.sluice.gateway.ratelimit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.publisher.Mono;

/**
 * Shared budgets that degrade instead of failing: when Redis errs or takes longer than the timeout, the
 * decision comes from this replica's own buckets, so limits still hold (each replica allows the full budget)
 * and nothing fails. While degraded, only one request a second tries Redis again, so a slow Redis does not
 * slow every request down. Entering and leaving the degraded state is logged once each (a flapping Redis
 * at most once a minute);
 * {@code sluice.ratelimit.fallback} counts the decisions made locally and {@code sluice.ratelimit.degraded}
 * is 1 meanwhile.
 */
final class FallbackBuckets implements Buckets {

    static final Duration RETRY_EVERY = Duration.ofSeconds(1);
    static final Duration QUIET = Duration.ofMinutes(1);
    private static final Log logger = LogFactory.getLog(FallbackBuckets.class);

    private final Buckets shared;
    private final LocalBuckets local;
    private final Duration timeout;
    private final long retryEveryNanos;
    private final LongSupplier nanoTime;
    private final Counter fallbacks;
    private final AtomicBoolean degraded = new AtomicBoolean();
    /** When degradation was last logged: a Redis that flaps is logged once a minute, not once a flap. */
    private final AtomicLong lastAnnounced;
    private volatile boolean announced;
    /** While degraded, the {@link System#nanoTime()} from which the next request may try Redis again. */
    private final AtomicLong nextAttempt = new AtomicLong();
    private final Consumer<RateLimitDecision> answered = decision -> recovered();

    FallbackBuckets(Buckets shared, LocalBuckets local, MeterRegistry registry, Duration timeout) {
        this(shared, local, registry, timeout, RETRY_EVERY, System::nanoTime);
    }

    FallbackBuckets(Buckets shared, LocalBuckets local, MeterRegistry registry, Duration timeout, Duration retryEvery,
            LongSupplier nanoTime) {
        this.shared = shared;
        this.local = local;
        this.timeout = timeout;
        this.retryEveryNanos = retryEvery.toNanos();
        this.nanoTime = nanoTime;
        this.lastAnnounced = new AtomicLong(nanoTime.getAsLong() - QUIET.toNanos());
        this.fallbacks = Counter.builder("sluice.ratelimit.fallback")
                .description("Rate-limit decisions a replica made alone because Redis was unreachable or slow")
                .register(registry);
        Gauge.builder("sluice.ratelimit.degraded", degraded, state -> state.get() ? 1 : 0)
                .description("1 while rate limits are per replica because Redis is unreachable or slow")
                .register(registry);
    }

    @Override
    public Mono<RateLimitDecision> tryConsume(LimitScope scope, String key) {
        if (degraded.get() && !claimRetry()) {
            fallbacks.increment();
            return local.tryConsume(scope, key);
        }
        return shared.tryConsume(scope, key)
                .timeout(timeout)
                .doOnNext(answered)
                .onErrorResume(failure -> fallBack(failure, scope, key));
    }

    /** To the budget the request most likely spent from: this replica's while degraded, else Redis's. */
    @Override
    public Mono<Void> refund(LimitScope scope, String key) {
        if (degraded.get()) {
            return local.refund(scope, key);
        }
        return shared.refund(scope, key).timeout(timeout).onErrorResume(failure -> Mono.empty());
    }

    @Override
    public void sweep() {
        shared.sweep();
        local.sweep();
    }

    boolean degraded() {
        return degraded.get();
    }

    /** Lets exactly one request through to Redis once the wait is over. */
    private boolean claimRetry() {
        long next = nextAttempt.get();
        long now = nanoTime.getAsLong();
        return now - next >= 0 && nextAttempt.compareAndSet(next, now + retryEveryNanos);
    }

    private Mono<RateLimitDecision> fallBack(Throwable failure, LimitScope scope, String key) {
        nextAttempt.set(nanoTime.getAsLong() + retryEveryNanos);
        if (degraded.compareAndSet(false, true) && mayAnnounce()) {
            announced = true;
            logger.warn("Rate limits are per replica until Redis answers again (" + describe(failure)
                    + "); each replica now allows the whole budget by itself");
        }
        fallbacks.increment();
        return local.tryConsume(scope, key);
    }

    private void recovered() {
        if (degraded.get() && degraded.compareAndSet(true, false) && announced) {
            announced = false;
            logger.info("Redis answers again: rate limits are shared across replicas");
        }
    }

    private boolean mayAnnounce() {
        long last = lastAnnounced.get();
        long now = nanoTime.getAsLong();
        return now - last >= QUIET.toNanos() && lastAnnounced.compareAndSet(last, now);
    }

    private String describe(Throwable failure) {
        if (failure instanceof java.util.concurrent.TimeoutException) {
            return "no answer within " + timeout.toMillis() + " ms";
        }
        return failure.getClass().getSimpleName() + ": " + failure.getMessage();
    }
}
