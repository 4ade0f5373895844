package dev.sluice.gateway.quota;

import java.time.Duration;
import java.time.LocalDate;
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
import reactor.util.retry.Retry;

/**
 * Writes finished requests' real usage off the request path: the client's stream never waits for it. Bounded (at
 * most {@code max-pending-settlements} in flight), retried a few times when the database could not be reached,
 * and counted ({@code sluice.quota.settlements.failed}) when it still fails or is dropped. A lost settlement only
 * leaves tokens held until the day's row is left behind at 00:00 UTC, never past it. Shutdown waits a little for
 * those in flight.
 */
class Settlements {

    private static final Log logger = LogFactory.getLog(Settlements.class);
    private static final int RETRIES = 3;
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(5);

    private final QuotaLedger ledger;
    private final int maxPending;
    private final AtomicInteger pending = new AtomicInteger();
    /** One party for the owner, one per settlement in flight: lets shutdown wait until they are written. */
    private final Phaser inFlight = new Phaser(1);
    private final Counter failed;
    private final Counter dropped;
    private final AtomicBoolean failing = new AtomicBoolean();

    Settlements(QuotaLedger ledger, int maxPending, MeterRegistry registry) {
        this.ledger = ledger;
        this.maxPending = maxPending;
        this.failed = Counter.builder("sluice.quota.settlements.failed")
                .description("Settlements of requests' real usage that could not be written, retries included")
                .tag("reason", "error").register(registry);
        this.dropped = Counter.builder("sluice.quota.settlements.failed")
                .description("Settlements of requests' real usage that could not be written, retries included")
                .tag("reason", "overflow").register(registry);
        Gauge.builder("sluice.quota.settlements.pending", pending, AtomicInteger::get)
                .description("Settlements waiting for the database").register(registry);
    }

    /** Fires off the settlement of one reservation and returns at once. */
    void settle(UUID user, LocalDate day, long estimate, long actual) {
        if (pending.incrementAndGet() > maxPending) {
            pending.decrementAndGet();
            dropped.increment();
            warnOnce("Quota settlements are backing up past " + maxPending + "; dropping some (sluice.quota.settlements.failed)");
            return;
        }
        inFlight.register();
        ledger.settle(user, day, estimate, actual)
                .retryWhen(Retry.backoff(RETRIES, FIRST_BACKOFF).filter(Settlements::didNotRun))
                .doFinally(signal -> {
                    pending.decrementAndGet();
                    inFlight.arriveAndDeregister();
                })
                .subscribe(null, this::failed, () -> failing.set(false));
    }

    /** Settlements in flight now. */
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

    /**
     * Retried: no connection to be had, or a transient refusal, where the UPDATE almost surely did not run. Anything
     * else is not, since an UPDATE that ran must not run twice; in the rare case a lost connection hid one that did,
     * the floor at zero in the statement keeps it from handing out headroom, and the user is charged twice.
     */
    private static boolean didNotRun(Throwable failure) {
        return failure instanceof DataAccessResourceFailureException || failure instanceof TransientDataAccessException;
    }

    private void failed(Throwable failure) {
        failed.increment();
        warnOnce("Could not settle a quota reservation; its tokens stay held until the next reset: " + failure);
    }

    /** Once per run of failures, so that a database outage does not flood the log. */
    private void warnOnce(String message) {
        if (failing.compareAndSet(false, true)) {
            logger.warn(message);
        }
    }
}
