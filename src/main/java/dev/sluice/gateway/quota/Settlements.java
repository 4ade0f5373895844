package dev.sluice.gateway.quota;

import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.concurrent.Queues;

/**
 * Writes finished requests' real usage off the request path: the client's stream never waits for it. Each is written
 * at once; one that could not reach the database waits in a queue that one loop retries, a batch at a time, with
 * exponential backoff ({@code settlement-backoff} doubling up to {@code settlement-max-backoff}) for as long as the
 * database stays away, so that an outage leaves no tokens reserved once it is over. Bounded: at most
 * {@code max-pending-settlements} in flight or waiting, past which new ones are dropped and counted. Metered:
 * {@code sluice.quota.settlements.pending}, {@code .retries}, {@code .failed} (reason {@code error}: refused for good,
 * {@code overflow}: dropped). A lost settlement only leaves tokens held until the day's row is left behind at
 * 00:00 UTC, never past it. Shutdown waits a little for those in flight.
 */
class Settlements {

    private static final Log logger = LogFactory.getLog(Settlements.class);
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(5);
    /** Settlements retried per try of the loop, and how many of them at once. */
    private static final int BATCH = 64;
    private static final int CONCURRENCY = 4;
    /**
     * Past this a try counts as not having reached the database, so that a connection that hangs cannot hold the
     * loop for good. Far longer than any queue on a busy row: an UPDATE that ran after all would be settled twice
     * (see didNotRun).
     */
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);

    private final QuotaLedger ledger;
    private final int maxPending;
    private final Duration firstBackoff;
    private final Duration maxBackoff;
    /** Written and waiting for a retry; a lock-free queue, bounded by {@link #pending}. */
    private final AtomicInteger pending = new AtomicInteger();
    private final Queue<Settlement> waiting = Queues.<Settlement>unboundedMultiproducer().get();
    /** Held by the one retry loop while it runs or waits for its backoff. */
    private final AtomicBoolean retrying = new AtomicBoolean();
    /** The wait before the loop's next try after a failed one. */
    private volatile Duration backoff;
    /** One party for the owner, one per settlement in flight: lets shutdown wait until they are written. */
    private final Phaser inFlight = new Phaser(1);
    private final Counter failed;
    private final Counter dropped;
    private final Counter retries;
    private final AtomicBoolean backingUp = new AtomicBoolean();
    private final AtomicBoolean unreachable = new AtomicBoolean();

    Settlements(QuotaLedger ledger, QuotaProperties properties, MeterRegistry registry) {
        this.ledger = ledger;
        this.maxPending = properties.maxPendingSettlements();
        this.firstBackoff = properties.settlementBackoff();
        this.maxBackoff = properties.settlementMaxBackoff();
        this.backoff = firstBackoff;
        this.failed = Counter.builder("sluice.quota.settlements.failed")
                .description("Settlements of requests' real usage that could not be written")
                .tag("reason", "error").register(registry);
        this.dropped = Counter.builder("sluice.quota.settlements.failed")
                .description("Settlements of requests' real usage that could not be written")
                .tag("reason", "overflow").register(registry);
        this.retries = Counter.builder("sluice.quota.settlements.retries")
                .description("Tries again of settlements that could not reach the database").register(registry);
        Gauge.builder("sluice.quota.settlements.pending", pending, AtomicInteger::get)
                .description("Settlements being written or waiting for the database").register(registry);
    }

    /** Fires off the settlement of one reservation or block and returns at once. */
    void settle(UUID user, LocalDate day, long unused, long estimate, long actual) {
        if (pending.incrementAndGet() > maxPending) {
            pending.decrementAndGet();
            dropped.increment();
            if (backingUp.compareAndSet(false, true)) {
                logger.warn("Quota settlements are backing up past " + maxPending + "; dropping some (sluice.quota.settlements.failed)");
            }
            return;
        }
        inFlight.register();
        write(new Settlement(user, day, unused, estimate, actual)).subscribe(this::retryLater);
    }

    /** Settlements in flight or waiting now. */
    int pending() {
        return pending.get();
    }

    /** Waits (briefly) for the settlements in flight, so that a graceful shutdown leaves no tokens held. */
    void drain() {
        try {
            inFlight.awaitAdvanceInterruptibly(inFlight.arrive(), DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (TimeoutException timedOut) {
            logger.warn(pending() + " quota settlements were still pending at shutdown");
        }
        catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** One try: empty when it landed or failed for good, the settlement itself when it is to be tried again. */
    private Mono<Settlement> write(Settlement settlement) {
        return ledger.settle(settlement.user(), settlement.day(), settlement.unused(), settlement.estimate(),
                        settlement.actual())
                .timeout(WRITE_TIMEOUT)
                .then(Mono.fromRunnable(this::done))
                .then(Mono.<Settlement>empty())
                .onErrorResume(Settlements::didNotRun, failure -> {
                    if (unreachable.compareAndSet(false, true)) {
                        logger.warn("Quota settlements cannot reach the database (" + failure + "); they are retried"
                                + " until they land (sluice.quota.settlements.pending)");
                    }
                    return Mono.just(settlement);
                })
                .onErrorResume(failure -> {
                    failed.increment();
                    logger.warn("A quota settlement was refused by the database; its tokens stay held until the next reset: " + failure);
                    done();
                    return Mono.empty();
                });
    }

    private void retryLater(Settlement settlement) {
        waiting.offer(settlement);
        retryAfter(backoff);
    }

    /** Starts the retry loop after {@code delay}, unless it runs already or nothing waits. */
    private void retryAfter(Duration delay) {
        if (!waiting.isEmpty() && retrying.compareAndSet(false, true)) {
            Mono.delay(delay).flatMap(tick -> retryBatch()).subscribe(this::retried);
        }
    }

    /** Tries a batch of the waiting settlements; those that still did not reach the database come back. */
    private Mono<List<Settlement>> retryBatch() {
        return Flux.<Settlement>generate(sink -> {
                    Settlement next = waiting.poll();
                    if (next == null) {
                        sink.complete();
                    }
                    else {
                        sink.next(next);
                    }
                })
                .take(BATCH)
                .doOnNext(settlement -> retries.increment())
                .flatMap(this::write, CONCURRENCY)
                .collectList();
    }

    /** After a batch: the next one at once when it all landed, else after a backoff twice as long as the last. */
    private void retried(List<Settlement> again) {
        Duration delay = Duration.ZERO;
        if (again.isEmpty()) {
            backoff = firstBackoff;
        }
        else {
            waiting.addAll(again);
            Duration doubled = backoff.multipliedBy(2);
            backoff = doubled.compareTo(maxBackoff) > 0 ? maxBackoff : doubled;
            delay = backoff;
        }
        retrying.set(false);
        if (waiting.isEmpty() && unreachable.compareAndSet(true, false)) {
            logger.info("Quota settlements reach the database again; every waiting one has landed");
        }
        retryAfter(delay);
    }

    private void done() {
        pending.decrementAndGet();
        inFlight.arriveAndDeregister();
        backingUp.set(false);
    }

    /**
     * Retried: no connection to be had, or a transient refusal, where the UPDATE almost surely did not run. Anything
     * else is not, since an UPDATE that ran must not run twice; in the rare case a lost connection hid one that did,
     * the floor at zero in the statement keeps it from handing out headroom, and the user is charged twice.
     */
    private static boolean didNotRun(Throwable failure) {
        return failure instanceof DataAccessResourceFailureException || failure instanceof TransientDataAccessException
                || failure instanceof TimeoutException;
    }

    private record Settlement(UUID user, LocalDate day, long unused, long estimate, long actual) {
    }
}
