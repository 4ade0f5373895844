package dev.sluice.gateway.budget;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The users' budgets in force: their own, as admins set them, else the configured defaults. The users with budgets of
 * their own are held in memory, so that a call learns its user's budgets without a database round trip, and a
 * gateway without defaults and without such users learns that it has nothing to check. Read at start, again every
 * {@code refresh}, and for one user at once when an admin changes theirs, here or (through Redis) on another
 * replica.
 */
final class UserBudgets implements SmartLifecycle {

    private static final Logger logger = LoggerFactory.getLogger(UserBudgets.class);
    /** The first read, at start (after the migrations): long enough for a slow database, short enough to start. */
    private static final Duration FIRST_READ = Duration.ofSeconds(10);

    private final BudgetLedger ledger;
    private final Long defaultDaily;
    private final Long defaultMonthly;
    private final Duration refresh;
    private final ConcurrentHashMap<UUID, BudgetLedger.OwnBudget> own = new ConcurrentHashMap<>();
    private volatile Disposable refreshing;

    UserBudgets(BudgetLedger ledger, BudgetProperties properties) {
        this.ledger = ledger;
        this.defaultDaily = Usd.toMicrosOrNull(properties.perUser().dailyUsd());
        this.defaultMonthly = Usd.toMicrosOrNull(properties.perUser().monthlyUsd());
        this.refresh = properties.refresh();
    }

    /** Reads them all once, on the starting thread, then every {@code refresh}. */
    @Override
    public void start() {
        reload().block(FIRST_READ);
        refreshing = Flux.interval(refresh, refresh).onBackpressureDrop().concatMap(tick -> reload()).subscribe();
    }

    @Override
    public void stop() {
        Disposable running = refreshing;
        if (running != null) {
            running.dispose();
        }
        refreshing = null;
    }

    @Override
    public boolean isRunning() {
        return refreshing != null;
    }

    /** Whether no user has any budget: then calls check none, at no cost. */
    boolean none() {
        return defaultDaily == null && defaultMonthly == null && own.isEmpty();
    }

    /** Adds the user's budgets in force to {@code budgets}. */
    void addTo(List<Budget> budgets, UUID user) {
        BudgetLedger.OwnBudget mine = own.get(user);
        Long daily = mine != null && mine.dailyMicros() != null ? mine.dailyMicros() : defaultDaily;
        Long monthly = mine != null && mine.monthlyMicros() != null ? mine.monthlyMicros() : defaultMonthly;
        if (daily != null) {
            budgets.add(new Budget(Budget.Scope.USER, user, BudgetPeriod.DAILY, daily));
        }
        if (monthly != null) {
            budgets.add(new Budget(Budget.Scope.USER, user, BudgetPeriod.MONTHLY, monthly));
        }
    }

    /** What the defaults give the user for a budget they have none of their own for. */
    Long defaultMicros(BudgetPeriod period) {
        return period == BudgetPeriod.DAILY ? defaultDaily : defaultMonthly;
    }

    /** Reads every user's own budgets again; a failure keeps what was known and is logged. */
    Mono<Void> reload() {
        return ledger.ownBudgets()
                .collectMap(BudgetLedger.OwnBudget::user)
                .doOnNext(read -> {
                    own.keySet().retainAll(read.keySet());
                    own.putAll(read);
                })
                .doOnError(failure -> logger.warn("Users' own budgets could not be read again; the last known apply: {}",
                        failure.toString()))
                .onErrorComplete()
                .then();
    }

    /** Reads one user's own budgets again, after an admin changed them. */
    Mono<Void> reload(UUID user) {
        return ledger.ownBudget(user)
                .doOnNext(read -> {
                    if (read.isEmpty()) {
                        own.remove(user);
                    }
                    else {
                        own.put(user, read);
                    }
                })
                .switchIfEmpty(Mono.fromRunnable(() -> own.remove(user)))
                .then();
    }
}
