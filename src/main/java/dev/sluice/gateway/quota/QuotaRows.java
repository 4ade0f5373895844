package dev.sluice.gateway.quota;

import java.time.LocalDate;
import java.util.UUID;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.spi.Readable;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The {@code quota_usage} table: one row per user and UTC day, which the replicas' leases draw on. A lease is
 * taken, topped up and given back by single conditional or additive UPDATEs, so the database decides, row lock
 * held, whether a block fits; no replica reads a count and writes it back later. Portable SQL: the same statements
 * run on PostgreSQL and on H2 in PostgreSQL mode. Every statement is counted ({@code sluice.quota.statements}).
 * <p>
 * What a row holds: {@code requests} counts requests let through and those held in replicas' blocks;
 * {@code reserved_tokens} the tokens held by blocks (for requests in flight, or free for the next ones);
 * {@code tokens} the real usage settled so far.
 * <p>
 * On PostgreSQL, the updates commit asynchronously (for their own transaction only): the change is visible to
 * every replica at once and row locks work as always, but the commit does not wait for the WAL to reach the disk.
 * All it risks is the last fraction of a second of counts should PostgreSQL itself crash.
 */
class QuotaRows {

    /**
     * Settles {@code :used} real tokens and changes the replica's hold by {@code :requests} and {@code :tokens}, only
     * while what it adds fits under the user's limits; the {@code :extra…} part of it (the block beyond the requests
     * waiting now) must fit {@code :share} times over. PostgreSQL (read committed) and H2 re-check the WHERE clause on
     * the newest row version once they hold the row's lock, so concurrent takes queue on the row and each sees the
     * ones before it.
     */
    private static final String TAKE = """
            UPDATE quota_usage
            SET requests = requests + :requests,
                reserved_tokens = reserved_tokens + :tokens - :used,
                tokens = tokens + :used,
                lease_until = GREATEST(lease_until, :until)
            WHERE user_id = :user AND usage_date = :day
              AND (:requests <= 0 OR requests + :requests + :spare * :extraRequests
                  <= COALESCE((SELECT daily_requests FROM users WHERE id = :user), :defaultRequests))
              AND (:tokens <= 0 OR tokens + reserved_tokens + :tokens + :spare * :extraTokens
                  <= COALESCE((SELECT daily_tokens FROM users WHERE id = :user), :defaultTokens))""";

    /**
     * Gives back {@code :requests} unused requests and {@code :released} held tokens, and charges {@code :used} real
     * tokens. Unconditional: a settlement always lands, even past the limit. The floors at zero only matter if a
     * retried give-back ran twice (its first try committed, but the answer was lost): it must not hand out headroom.
     */
    private static final String GIVE_BACK = """
            UPDATE quota_usage
            SET requests = GREATEST(requests - :requests, 0),
                reserved_tokens = GREATEST(reserved_tokens - :released, 0),
                tokens = tokens + :used,
                lease_until = GREATEST(lease_until, :until)
            WHERE user_id = :user AND usage_date = :day""";

    /**
     * PostgreSQL only: asynchronous commit for the statement's own transaction. An updated row has passed every
     * condition of the WHERE clause, this one included, so the setting is in force by the time it commits.
     */
    private static final String ASYNCHRONOUS_COMMIT = "\n  AND set_config('synchronous_commit', 'off', true) = 'off'";

    /** The day's row, created empty by the first request of the day; a row that exists already is left alone. */
    private static final String OPEN_DAY = """
            INSERT INTO quota_usage (user_id, usage_date, requests, tokens, reserved_tokens, lease_until)
            VALUES (:user, :day, 0, 0, 0, 0)
            ON CONFLICT DO NOTHING""";

    private static final String ROW = """
            SELECT u.daily_requests, u.daily_tokens, q.requests, q.tokens, q.reserved_tokens, q.lease_until
            FROM users u LEFT JOIN quota_usage q ON q.user_id = u.id AND q.usage_date = :day
            WHERE u.id = :user""";

    private static final String USAGE_ON = """
            SELECT q.user_id, u.email, q.requests, q.tokens, q.reserved_tokens, q.lease_until
            FROM quota_usage q JOIN users u ON u.id = q.user_id
            WHERE q.usage_date = :day""";

    private static final String SET_LIMITS = "UPDATE users SET daily_requests = :requests, daily_tokens = :tokens WHERE id = :user";

    private final DatabaseClient database;
    private final QuotaProperties defaults;
    private final String take;
    private final String giveBack;
    private final Counter takes;
    private final Counter giveBacks;
    private final Counter reads;
    private final Counter openings;

    QuotaRows(DatabaseClient database, QuotaProperties defaults, MeterRegistry registry) {
        this.database = database;
        this.defaults = defaults;
        boolean postgres = "PostgreSQL".equals(database.getConnectionFactory().getMetadata().getName());
        this.take = postgres ? TAKE + ASYNCHRONOUS_COMMIT : TAKE;
        this.giveBack = postgres ? GIVE_BACK + ASYNCHRONOUS_COMMIT : GIVE_BACK;
        this.takes = statements(registry, "take");
        this.giveBacks = statements(registry, "give-back");
        this.reads = statements(registry, "read");
        this.openings = statements(registry, "open-day");
    }

    /** Applies {@code change} if it fits (see {@link #TAKE}); {@code false} when it does not, or the day has no row yet. */
    Mono<Boolean> take(UUID user, LocalDate day, Change change) {
        return Mono.defer(() -> {
            takes.increment();
            return database.sql(take)
                    .bind("user", user)
                    .bind("day", day)
                    .bind("requests", change.requests())
                    .bind("extraRequests", change.extraRequests())
                    .bind("tokens", change.tokens())
                    .bind("extraTokens", change.extraTokens())
                    .bind("used", change.used())
                    .bind("spare", (long) change.share() - 1)
                    .bind("until", change.until())
                    .bind("defaultRequests", defaults.dailyRequests())
                    .bind("defaultTokens", defaults.dailyTokens())
                    .fetch().rowsUpdated()
                    .map(rows -> rows == 1);
        });
    }

    /** Gives back {@code requests} and {@code released} tokens a lease held, and charges {@code used} (see {@link #GIVE_BACK}). */
    Mono<Void> giveBack(UUID user, LocalDate day, long requests, long released, long used, long until) {
        return Mono.defer(() -> {
            giveBacks.increment();
            return database.sql(giveBack)
                    .bind("user", user)
                    .bind("day", day)
                    .bind("requests", requests)
                    .bind("released", released)
                    .bind("used", used)
                    .bind("until", until)
                    .fetch().rowsUpdated()
                    .then();
        });
    }

    /** Creates the day's row if it is not there yet. */
    Mono<Void> openDay(UUID user, LocalDate day) {
        return Mono.defer(() -> {
            openings.increment();
            return database.sql(OPEN_DAY).bind("user", user).bind("day", day).fetch().rowsUpdated().then();
        });
    }

    /** The user's row for {@code day} and the limits in force for them; empty when there is no such user. */
    Mono<Row> row(UUID user, LocalDate day) {
        return Mono.defer(() -> {
            reads.increment();
            return database.sql(ROW)
                    .bind("user", user)
                    .bind("day", day)
                    .map(row -> new Row(row.get("requests") != null,
                            number(row, "requests"), number(row, "tokens"), number(row, "reserved_tokens"),
                            number(row, "lease_until"),
                            orDefault(row, "daily_requests", defaults.dailyRequests()),
                            orDefault(row, "daily_tokens", defaults.dailyTokens())))
                    .one();
        });
    }

    /**
     * One page of everyone's usage on {@code day}, newest-first by user id, starting after the cursor {@code before};
     * tokens held by leases that expired at {@code now} count as used (see {@link Row#usage}).
     */
    Flux<QuotaLedger.UserUsage> usageOn(LocalDate day, UUID before, int limit, long now) {
        DatabaseClient.GenericExecuteSpec query = database
                .sql(USAGE_ON + (before == null ? "" : " AND q.user_id < :before") + " ORDER BY q.user_id DESC LIMIT :limit")
                .bind("day", day)
                .bind("limit", limit);
        if (before != null) {
            query = query.bind("before", before);
        }
        return query.map(row -> {
                    Row counts = new Row(true, number(row, "requests"), number(row, "tokens"), number(row, "reserved_tokens"),
                            number(row, "lease_until"), 0, 0);
                    QuotaLedger.DailyUsage usage = counts.usage(now);
                    return new QuotaLedger.UserUsage(row.get("user_id", UUID.class), row.get("email", String.class),
                            usage.requests(), usage.tokens(), usage.reservedTokens());
                })
                .all();
    }

    /** Sets the user's own limits ({@code null}: back to the default); {@code false} when there is no such user. */
    Mono<Boolean> setLimits(UUID user, Integer dailyRequests, Long dailyTokens) {
        DatabaseClient.GenericExecuteSpec update = database.sql(SET_LIMITS).bind("user", user);
        update = dailyRequests == null ? update.bindNull("requests", Integer.class) : update.bind("requests", dailyRequests);
        update = dailyTokens == null ? update.bindNull("tokens", Long.class) : update.bind("tokens", dailyTokens);
        return update.fetch().rowsUpdated().map(rows -> rows > 0);
    }

    /** A count column, where a missing row (no request yet that day) reads as zero. */
    private static long number(Readable row, String column) {
        Object value = row.get(column);
        return value == null ? 0 : ((Number) value).longValue();
    }

    private static long orDefault(Readable row, String column, long fallback) {
        Object value = row.get(column);
        return value == null ? fallback : ((Number) value).longValue();
    }

    private static Counter statements(MeterRegistry registry, String statement) {
        return Counter.builder("sluice.quota.statements")
                .description("Statements the daily quotas sent to the database")
                .tag("statement", statement).register(registry);
    }

    /**
     * A change to one replica's hold on a row, with {@link #TAKE}: {@code requests} and {@code tokens} added to what it
     * holds (negative: given back), of which {@code extraRequests} and {@code extraTokens} are block beyond the
     * requests waiting now; {@code used} real tokens settled; {@code until} the lease's new expiry.
     */
    record Change(long requests, long extraRequests, long tokens, long extraTokens, long used, int share, long until) {
    }

    /**
     * One day's row ({@code open}: it exists) and the limits in force. {@code leaseUntil}: until when the newest lease
     * on it is kept alive (epoch milliseconds, 0 for never).
     */
    record Row(boolean open, long requests, long tokens, long reservedTokens, long leaseUntil, long requestLimit,
            long tokenLimit) {

        /**
         * The counts as reported. Past {@code leaseUntil}, no replica holding tokens here is writing any more (it
         * crashed): nobody knows how much of what it held was used, so it is reported as used (it stays counted
         * against the limit either way, never handed out twice).
         */
        QuotaLedger.DailyUsage usage(long now) {
            boolean expired = leaseUntil > 0 && leaseUntil < now;
            return new QuotaLedger.DailyUsage(requests, expired ? tokens + reservedTokens : tokens,
                    expired ? 0 : reservedTokens, requestLimit, tokenLimit);
        }
    }
}
