package dev.sluice.gateway.budget;

import java.time.LocalDate;
import java.util.UUID;

import io.r2dbc.spi.Readable;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The {@code budget_usage} table: one row per budget (scope kind, scope id, period) and period start, counting what
 * was spent and what calls in flight hold at their worst case, in micro-USD; and the users' own budgets in
 * {@code users}. As in {@code quota_usage}, every change is one conditional UPDATE, so that the database decides,
 * row lock held, whether a call fits, and replicas together never let spending past a budget. Portable SQL
 * (PostgreSQL and H2 in PostgreSQL mode); on PostgreSQL the per-call updates commit asynchronously, for the reason
 * the quota ledger gives.
 */
class BudgetLedger {

    private static final String WHERE_ROW = """

            WHERE scope_kind = :kind AND scope_id = :id AND period = :period AND period_start = :start""";

    /**
     * Holds {@code :estimate} only while the period's spending and holds leave room for it under {@code :ceiling}
     * (the budget, or the alert threshold below it), and any room at all under the budget: a budget spent to the last
     * micro-dollar refuses even a call that costs nothing. PostgreSQL (read committed) and H2 re-check the WHERE
     * clause on the newest row version once they hold its lock, so concurrent calls queue on the row and each sees
     * the ones before it.
     */
    private static final String RESERVE = "UPDATE budget_usage SET reserved_micro_usd = reserved_micro_usd + :estimate"
            + WHERE_ROW + """

              AND spent_micro_usd + reserved_micro_usd + :estimate <= :ceiling
              AND spent_micro_usd + reserved_micro_usd < :limit""";

    /** PostgreSQL only: asynchronous commit for the statement's own transaction (see {@code QuotaLedger}). */
    private static final String ASYNCHRONOUS_COMMIT = "\n  AND set_config('synchronous_commit', 'off', true) = 'off'";

    private static final String OPEN_PERIOD = """
            INSERT INTO budget_usage (scope_kind, scope_id, period, period_start, spent_micro_usd, reserved_micro_usd)
            VALUES (:kind, :id, :period, :start, 0, 0)
            ON CONFLICT DO NOTHING""";

    /**
     * Releases a hold and charges the real cost instead. The floor at zero only matters if a retried settlement ran
     * twice: it must not hand out extra room.
     */
    private static final String SETTLE = """
            UPDATE budget_usage
            SET reserved_micro_usd = GREATEST(reserved_micro_usd - :estimate, 0), spent_micro_usd = spent_micro_usd + :actual"""
            + WHERE_ROW;

    private static final String USAGE = "SELECT spent_micro_usd, reserved_micro_usd FROM budget_usage" + WHERE_ROW;

    private static final String OWN_BUDGETS = """
            SELECT id, daily_budget_micro_usd, monthly_budget_micro_usd FROM users
            WHERE daily_budget_micro_usd IS NOT NULL OR monthly_budget_micro_usd IS NOT NULL""";

    private static final String OWN_BUDGET = "SELECT daily_budget_micro_usd, monthly_budget_micro_usd FROM users WHERE id = :user";

    private static final String SET_OWN_BUDGET = """
            UPDATE users SET daily_budget_micro_usd = :daily, monthly_budget_micro_usd = :monthly WHERE id = :user""";

    private final DatabaseClient database;
    private final String reserve;
    private final String settle;

    BudgetLedger(DatabaseClient database) {
        this.database = database;
        boolean postgres = "PostgreSQL".equals(database.getConnectionFactory().getMetadata().getName());
        this.reserve = postgres ? RESERVE + ASYNCHRONOUS_COMMIT : RESERVE;
        this.settle = postgres ? SETTLE + ASYNCHRONOUS_COMMIT : SETTLE;
    }

    /**
     * Holds {@code estimate} micro-USD of the budget for the period that began on {@code start}, and says whether that
     * stays within {@code alert} micro-USD, or only within the budget, or does not fit at all. One round trip below
     * the alert threshold; one more past it (the same UPDATE against the budget itself), and two more for a period's
     * first call, which opens its row.
     */
    Mono<Room> reserve(Budget budget, LocalDate start, long estimate, long alert) {
        return room(budget, start, estimate, alert).flatMap(room -> room != Room.NONE
                ? Mono.just(room)
                // No row yet, or no room: open the period (a no-op when it is open) and ask once more.
                : row(OPEN_PERIOD, budget, start).fetch().rowsUpdated().then(room(budget, start, estimate, alert)));
    }

    private Mono<Room> room(Budget budget, LocalDate start, long estimate, long alert) {
        if (alert >= budget.limitMicros()) {
            return tryReserve(budget, start, estimate, budget.limitMicros()).map(granted -> granted ? Room.WITHIN_ALERT : Room.NONE);
        }
        return tryReserve(budget, start, estimate, alert).flatMap(granted -> granted ? Mono.just(Room.WITHIN_ALERT)
                : tryReserve(budget, start, estimate, budget.limitMicros()).map(past -> past ? Room.PAST_ALERT : Room.NONE));
    }

    private Mono<Boolean> tryReserve(Budget budget, LocalDate start, long estimate, long ceiling) {
        return row(reserve, budget, start)
                .bind("estimate", estimate)
                .bind("ceiling", ceiling)
                .bind("limit", budget.limitMicros())
                .fetch().rowsUpdated()
                .map(rows -> rows == 1);
    }

    /** Gives back the {@code estimate} a call held and charges its {@code actual} cost instead. */
    Mono<Void> settle(Budget budget, LocalDate start, long estimate, long actual) {
        return row(settle, budget, start)
                .bind("estimate", estimate)
                .bind("actual", actual)
                .fetch().rowsUpdated()
                .then();
    }

    /** What was spent and is held in the period that began on {@code start}; zeros before its first call. */
    Mono<Usage> usage(Budget budget, LocalDate start) {
        return row(USAGE, budget, start)
                .map(row -> new Usage(micros(row, "spent_micro_usd"), micros(row, "reserved_micro_usd")))
                .one()
                .defaultIfEmpty(Usage.NONE);
    }

    /** Every user with a budget of their own. */
    Flux<OwnBudget> ownBudgets() {
        return database.sql(OWN_BUDGETS)
                .map(row -> new OwnBudget(row.get("id", UUID.class), nullable(row, "daily_budget_micro_usd"),
                        nullable(row, "monthly_budget_micro_usd")))
                .all();
    }

    /** One user's own budgets (both {@code null}: the defaults); empty when there is no such user. */
    Mono<OwnBudget> ownBudget(UUID user) {
        return database.sql(OWN_BUDGET).bind("user", user)
                .map(row -> new OwnBudget(user, nullable(row, "daily_budget_micro_usd"), nullable(row, "monthly_budget_micro_usd")))
                .one();
    }

    /** Sets the user's own budgets ({@code null}: back to the default); {@code false} when there is no such user. */
    Mono<Boolean> setOwnBudget(UUID user, Long dailyMicros, Long monthlyMicros) {
        DatabaseClient.GenericExecuteSpec update = database.sql(SET_OWN_BUDGET).bind("user", user);
        update = dailyMicros == null ? update.bindNull("daily", Long.class) : update.bind("daily", dailyMicros);
        update = monthlyMicros == null ? update.bindNull("monthly", Long.class) : update.bind("monthly", monthlyMicros);
        return update.fetch().rowsUpdated().map(rows -> rows > 0);
    }

    private DatabaseClient.GenericExecuteSpec row(String sql, Budget budget, LocalDate start) {
        return database.sql(sql)
                .bind("kind", budget.scope().label())
                .bind("id", budget.scopeId())
                .bind("period", budget.period().label())
                .bind("start", start);
    }

    private static long micros(Readable row, String column) {
        Object value = row.get(column);
        return value == null ? 0 : ((Number) value).longValue();
    }

    private static Long nullable(Readable row, String column) {
        Object value = row.get(column);
        return value == null ? null : ((Number) value).longValue();
    }

    /** Whether a call's worst case fitted, and how: within the alert threshold, past it but within the budget, or not. */
    enum Room { WITHIN_ALERT, PAST_ALERT, NONE }

    /** A period's spending and what calls in flight hold, in micro-USD. */
    record Usage(long spentMicros, long reservedMicros) {

        static final Usage NONE = new Usage(0, 0);
    }

    /** A user's own budgets in micro-USD; {@code null}: the default. */
    record OwnBudget(UUID user, Long dailyMicros, Long monthlyMicros) {

        boolean isEmpty() {
            return dailyMicros == null && monthlyMicros == null;
        }
    }
}
