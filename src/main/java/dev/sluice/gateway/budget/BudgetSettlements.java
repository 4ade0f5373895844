package dev.sluice.gateway.budget;

import java.time.Duration;
import java.time.LocalDate;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessException;
import reactor.util.retry.Retry;

/**
 * Writes finished calls' real cost off the request path, each at once and, while the database cannot be reached,
 * again with exponential backoff for about two minutes; bounded at {@link #MAX_PENDING} in flight, past which
 * new ones are dropped and counted. Metered: {@code sluice.budget.settlements.pending} and
 * {@code sluice.budget.settlements.failed}. A lost settlement leaves its worst case held, never released early: the
 * budget errs towards refusing, until its period ends. Shutdown waits a little for those in flight.
 */
class BudgetSettlements {

    private static final Logger logger = LoggerFactory.getLogger(BudgetSettlements.class);
    static final int MAX_PENDING = 10_000;
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);
    private static final Retry RETRY = Retry.backoff(12, Duration.ofMillis(100)).maxBackoff(Duration.ofSeconds(15))
            .filter(BudgetSettlements::didNotRun);

    private final BudgetLedger ledger;
    private final AtomicInteger pending = new AtomicInteger();
    private final Counter failed;
    private final Counter dropped;

    BudgetSettlements(BudgetLedger ledger, MeterRegistry registry) {
        this.ledger = ledger;
        this.failed = failures(registry, "error");
        this.dropped = failures(registry, "overflow");
        Gauge.builder("sluice.budget.settlements.pending", pending, AtomicInteger::get)
                .description("Budget settlements being written or waiting for the database").register(registry);
    }

    /** Fires off one budget's settlement and returns at once. */
    void settle(Budget budget, LocalDate start, long estimate, long actual) {
        if (pending.incrementAndGet() > MAX_PENDING) {
            pending.decrementAndGet();
            dropped.increment();
            return;
        }
        ledger.settle(budget, start, estimate, actual)
                .timeout(WRITE_TIMEOUT)
                .retryWhen(RETRY)
                .doFinally(signal -> pending.decrementAndGet())
                .subscribe(null, failure -> {
                    failed.increment();
                    logger.warn("A budget settlement could not be written; its worst case stays held until the period"
                            + " ends: {}", failure.toString());
                });
    }

    int pending() {
        return pending.get();
    }

    /** Waits (briefly, on the shutdown thread) for the settlements in flight, so that a graceful stop holds nothing. */
    void drain() {
        long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        while (pending.get() > 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
        if (pending.get() > 0) {
            logger.warn("{} budget settlements were still pending at shutdown", pending.get());
        }
    }

    /** Retried: no connection, or a transient refusal, where the UPDATE almost surely did not run. */
    private static boolean didNotRun(Throwable failure) {
        return failure instanceof DataAccessResourceFailureException || failure instanceof TransientDataAccessException
                || failure instanceof TimeoutException;
    }

    private static Counter failures(MeterRegistry registry, String reason) {
        return Counter.builder("sluice.budget.settlements.failed")
                .description("Settlements of calls' real cost that could not be written")
                .tag("reason", reason).register(registry);
    }
}
