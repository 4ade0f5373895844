package dev.sluice.gateway.quota;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * This replica's view of the quota database being unable to answer, and what it still lets through meanwhile:
 * a small allowance of requests and tokens ({@code sluice.quotas.outage-allowance}), shared by every user, after
 * which quotas fail closed. The first answer from the database ends the outage and restores the allowance, at most
 * once a minute: a database that answers only now and then (a pool choked by a flood) must not refill it with every
 * answer. The outage is logged once when it starts and once when it ends (so at most once a minute too), and
 * metered: {@code sluice.quota.store.unavailable} (1 while it lasts), {@code sluice.quota.unenforced} (let through
 * uncounted) and {@code sluice.quota.store.refusals} (refused past the allowance).
 */
final class StoreOutage {

    private static final Log logger = LogFactory.getLog(StoreOutage.class);
    private static final Duration RESTORED_AT_MOST_EVERY = Duration.ofMinutes(1);

    private final QuotaProperties.OutageAllowance allowance;
    private final AtomicBoolean ongoing = new AtomicBoolean();
    // Both reset only with the allowance, so that a database answering now and then is not logged each time.
    private final AtomicBoolean warned = new AtomicBoolean();
    private final AtomicBoolean exhausted = new AtomicBoolean();
    private final AtomicReference<Left> left;
    private final Clock clock;
    /** When the allowance was last made whole; {@code null} before the first outage ended. */
    private volatile Instant restoredAt;
    private final Counter unenforced;
    private final Counter refusals;

    StoreOutage(QuotaProperties.OutageAllowance allowance, Clock clock, MeterRegistry registry) {
        this.allowance = allowance;
        this.clock = clock;
        this.left = new AtomicReference<>(new Left(allowance.requests(), allowance.tokens()));
        this.unenforced = Counter.builder("sluice.quota.unenforced")
                .description("Chat requests let through uncounted, within the outage allowance, while the quota database could not answer")
                .register(registry);
        this.refusals = Counter.builder("sluice.quota.store.refusals")
                .description("Chat requests refused (503) past the outage allowance while the quota database could not answer")
                .register(registry);
        Gauge.builder("sluice.quota.store.unavailable", ongoing, state -> state.get() ? 1 : 0)
                .description("1 while this replica's quota database cannot answer reservations, else 0")
                .register(registry);
    }

    /**
     * The reply cap this request may have out of what is left of the allowance, taken from it; {@code 0} when
     * not even its prompt and one reply token fit, or no request is left: the caller refuses it.
     */
    long admit(long prompt, long reply, Throwable failure) {
        if (ongoing.compareAndSet(false, true) && warned.compareAndSet(false, true)) {
            logger.warn("Daily quotas cannot be checked (" + failure + "); up to " + allowance.requests() + " requests and "
                    + allowance.tokens() + " tokens go on uncounted on this replica, then chats get 503 until the database answers");
        }
        while (true) {
            Left now = left.get();
            long cap = Math.min(reply, now.tokens() - prompt);
            if (now.requests() < 1 || cap < 1) {
                refusals.increment();
                if (exhausted.compareAndSet(false, true)) {
                    logger.warn("The quota outage allowance is spent on this replica: chats get 503 until the database answers");
                }
                return 0;
            }
            if (left.compareAndSet(now, new Left(now.requests() - 1, now.tokens() - prompt - cap))) {
                unenforced.increment();
                return cap;
            }
        }
    }

    /** The database answered: the outage, if there was one, is over, and the allowance whole again (see above). */
    void recovered() {
        if (ongoing.compareAndSet(true, false)) {
            Instant now = clock.instant();
            Instant last = restoredAt;
            if (last == null || !now.isBefore(last.plus(RESTORED_AT_MOST_EVERY))) {
                restoredAt = now;
                left.set(new Left(allowance.requests(), allowance.tokens()));
                exhausted.set(false);
                warned.set(false);
                logger.info("Daily quotas are checked again");
            }
        }
    }

    /** Whether the last reservation found the database unable to answer. */
    boolean ongoing() {
        return ongoing.get();
    }

    private record Left(long requests, long tokens) {
    }
}
