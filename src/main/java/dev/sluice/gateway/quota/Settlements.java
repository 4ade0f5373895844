package dev.sluice.gateway.quota;

import java.time.Duration;
import java.time.LocalDate;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Settles finished requests' real usage off the request path. A request that ends credits its lease in memory
 * ({@link #settle}); a sweep (every half {@code leases.idle} or {@code leases.term}, whichever is shorter, and at
 * least every second) then writes each lease back in one statement when it is due: not drawn on for {@code leases.idle} (its free part is given back, so that other replicas can use it),
 * not written for {@code leases.term} while in use, revoked by an admin's change of the user's limits, or of a day
 * that is over. A lease holding nothing is dropped. A write that could not reach the database leaves everything in
 * its lease, tried again at later sweeps with exponential backoff ({@code settlement-backoff} doubling up to
 * {@code settlement-max-backoff}) for as long as the database stays away, so that an outage loses no usage. Metered:
 * {@code sluice.quota.settlements.pending} (ended requests whose usage is not written yet), {@code .retries},
 * {@code .failed} (refused for good). Shutdown gives every lease back, waiting a little.
 */
class Settlements {

    private static final Log logger = LogFactory.getLog(Settlements.class);
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration DRAIN_STEP = Duration.ofMillis(20);
    /** The longest between two sweeps, so that a day that ends is given back within it. */
    private static final Duration MAX_SWEEP = Duration.ofSeconds(1);

    private final QuotaLedger ledger;
    private final Duration firstBackoff;
    private final Duration maxBackoff;
    private final long idleSweeps;
    private final long termSweeps;
    private final Scheduler scheduler;
    private final Disposable sweeping;
    private final Counter failed;
    private final Counter retries;
    private final AtomicBoolean unreachable = new AtomicBoolean();

    Settlements(QuotaLedger ledger, QuotaProperties properties, MeterRegistry registry) {
        this.ledger = ledger;
        this.firstBackoff = properties.settlementBackoff();
        this.maxBackoff = properties.settlementMaxBackoff();
        Duration idle = properties.leases().idle();
        Duration term = properties.leases().term();
        Duration half = (idle.compareTo(term) < 0 ? idle : term).dividedBy(2);
        Duration sweep = half.compareTo(MAX_SWEEP) < 0 ? half : MAX_SWEEP;
        long sweepMillis = Math.max(1, sweep.toMillis());
        this.idleSweeps = Math.max(1, idle.toMillis() / sweepMillis);
        this.termSweeps = Math.max(1, term.toMillis() / sweepMillis);
        this.failed = Counter.builder("sluice.quota.settlements.failed")
                .description("Settlements of requests' real usage that could not be written")
                .tag("reason", "error").register(registry);
        this.retries = Counter.builder("sluice.quota.settlements.retries")
                .description("Tries again of settlements that could not reach the database").register(registry);
        Gauge.builder("sluice.quota.settlements.pending", ledger, QuotaLedger::unsettled)
                .description("Finished requests whose real usage is not written to the database yet").register(registry);
        Gauge.builder("sluice.quota.leases", ledger, held -> held.leases().size())
                .description("Users this replica holds a block of quota for").register(registry);
        this.scheduler = Schedulers.parallel();
        this.sweeping = Flux.interval(sweep, sweep, scheduler).subscribe(tick -> sweep());
    }

    /** The request drawn from the user's lease for {@code day} ended: it used {@code actual} of the {@code estimate} held. */
    void settle(UUID user, LocalDate day, long estimate, long actual) {
        ledger.finish(user, day, estimate, actual);
    }

    /** Ended requests whose real usage is not written yet. */
    int pending() {
        return ledger.unsettled();
    }

    /** Gives every lease back (briefly waiting for them), so that a graceful shutdown leaves nothing held. */
    void drain() {
        sweeping.dispose();
        long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            boolean holding = false;
            for (Lease lease : ledger.leases()) {
                Lease.State state = lease.state();
                if (state.holdsSomething() || state.writing()) {
                    holding = true;
                    ledger.giveBack(lease).onErrorComplete().subscribe();
                }
            }
            if (!holding) {
                return;
            }
            // On the thread that closes the application, never an event loop.
            LockSupport.parkNanos(DRAIN_STEP.toNanos());
        }
        logger.warn(pending() + " quota settlements were still pending at shutdown");
    }

    /** One look at every lease: written back when due, dropped when it holds nothing and is idle. */
    private void sweep() {
        LocalDate today = ledger.today();
        long now = scheduler.now(TimeUnit.MILLISECONDS);
        for (Lease lease : ledger.leases()) {
            lease.untouchedSweeps = lease.touchedSinceLastAsked() ? 0 : lease.untouchedSweeps + 1;
            lease.usedUp = null;
            lease.writtenSweepsAgo++;
            Lease.State state = lease.state();
            if (state.closed()) {
                ledger.forget(lease);
                continue;
            }
            if (state.writing()) {
                continue;
            }
            boolean idle = lease.untouchedSweeps >= idleSweeps;
            // Past its term, a lease with requests still running is written even with nothing to settle: that keeps it
            // alive on the row (see QuotaRows.Row#usage).
            boolean due = (state.holdsSomething() && (idle || state.revoked() || !lease.day.equals(today)))
                    || (lease.writtenSweepsAgo >= termSweeps && (state.holdsSomething() || state.inFlight() > 0));
            if (due && now >= lease.retryAt) {
                if (lease.backoff > 0) {
                    retries.increment();
                }
                ledger.giveBack(lease).subscribe(done -> { }, failure -> failed(lease, failure), () -> landed(lease));
            }
            else if (idle && lease.tryClose()) {
                ledger.forget(lease);
            }
        }
    }

    private void landed(Lease lease) {
        if (lease.backoff > 0) {
            lease.backoff = 0;
            lease.retryAt = 0;
            if (unreachable.compareAndSet(true, false)) {
                logger.info("Quota settlements reach the database again");
            }
        }
    }

    private void failed(Lease lease, Throwable failure) {
        if (!QuotaLedger.unanswered(failure)) {
            failed.increment();
            logger.warn("A quota settlement was refused by the database; what it held stays held until the lease expires: "
                    + failure);
            return;
        }
        if (unreachable.compareAndSet(false, true)) {
            logger.warn("Quota settlements cannot reach the database (" + failure + "); they are retried until they"
                    + " land (sluice.quota.settlements.pending)");
        }
        long wait = lease.backoff == 0 ? firstBackoff.toMillis() : Math.min(maxBackoff.toMillis(), lease.backoff * 2);
        lease.backoff = wait;
        lease.retryAt = scheduler.now(TimeUnit.MILLISECONDS) + wait;
    }
}
