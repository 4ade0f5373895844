package dev.sluice.gateway.budget;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This replica's view of the budget database being unable to answer, and what it lets through meanwhile: calls whose
 * worst cases add up to {@code outage-allowance-usd}, over all users, after which budgets fail closed (503). The
 * quota's {@code StoreOutage} in USD: the first answer from the database ends the outage and restores the allowance,
 * at most once a minute; logged once when it starts and once when it ends; metered as
 * {@code sluice.budget.store.unavailable} (1 while it lasts), {@code sluice.budget.unenforced} (let through
 * unchecked) and {@code sluice.budget.store.refusals} (refused past the allowance).
 */
final class BudgetStoreOutage {

    private static final Logger logger = LoggerFactory.getLogger(BudgetStoreOutage.class);
    private static final Duration RESTORED_AT_MOST_EVERY = Duration.ofMinutes(1);

    private final long allowanceMicros;
    private final AtomicLong left;
    private final AtomicBoolean ongoing = new AtomicBoolean();
    private final Clock clock;
    private volatile Instant restoredAt;
    private final Counter unenforced;
    private final Counter refusals;

    BudgetStoreOutage(long allowanceMicros, Clock clock, MeterRegistry registry) {
        this.allowanceMicros = allowanceMicros;
        this.left = new AtomicLong(allowanceMicros);
        this.clock = clock;
        this.unenforced = Counter.builder("sluice.budget.unenforced")
                .description("Calls let through unchecked, within the outage allowance, while the budget database could not answer")
                .register(registry);
        this.refusals = Counter.builder("sluice.budget.store.refusals")
                .description("Calls refused (503) past the outage allowance while the budget database could not answer")
                .register(registry);
        Gauge.builder("sluice.budget.store.unavailable", ongoing, state -> state.get() ? 1 : 0)
                .description("1 while this replica's budget database cannot answer reservations, else 0").register(registry);
    }

    /** Whether a call of worst case {@code estimate} fits what is left of the allowance; taken from it if so. */
    boolean admit(long estimate, Throwable failure) {
        if (ongoing.compareAndSet(false, true)) {
            logger.warn("Budgets cannot be checked ({}); calls worth up to {} go on unchecked on this replica, then calls"
                    + " with a budget get 503 until the database answers", failure.toString(), Usd.format(allowanceMicros));
        }
        long now;
        do {
            now = left.get();
            if (now < estimate) {
                refusals.increment();
                return false;
            }
        }
        while (!left.compareAndSet(now, now - estimate));
        unenforced.increment();
        return true;
    }

    /** The database answered: the outage, if there was one, is over, and the allowance whole again (see above). */
    void recovered() {
        if (ongoing.get() && ongoing.compareAndSet(true, false)) {
            Instant now = clock.instant();
            Instant last = restoredAt;
            if (last == null || !now.isBefore(last.plus(RESTORED_AT_MOST_EVERY))) {
                restoredAt = now;
                left.set(allowanceMicros);
            }
            logger.info("Budgets are checked again");
        }
    }
}
