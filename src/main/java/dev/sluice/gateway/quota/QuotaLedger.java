package dev.sluice.gateway.quota;

import java.time.LocalDate;
import java.util.UUID;

import io.r2dbc.spi.Readable;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The {@code quota_usage} table: one row per user and UTC day. Its {@code requests} count the requests let through and
 * those a replica holds in a block not yet spent ({@link QuotaBlocks}); {@code reserved_tokens} the tokens held by
 * requests in flight and by blocks. Every change is a single conditional UPDATE, so
 * the database decides, row lock held, whether a request fits; no replica reads a count and writes it back later.
 * Portable SQL: the same statements run on PostgreSQL and on H2 in PostgreSQL mode.
 * <p>
 * On PostgreSQL, the per-request updates commit asynchronously (for their own transaction only): the change is
 * visible to every replica at once and row locks work as always, but the commit does not wait for the WAL to reach
 * the disk. That flush is most of the cost of a reservation (about 3 ms here, against 0.07 ms without), and all it
 * protects is the last fraction of a second of counts should PostgreSQL itself crash: a few requests over the limit
 * then, against every request paying for the flush every time.
 */
class QuotaLedger {

    /**
     * Counts {@code :requests} requests and holds {@code :estimate} tokens, only while both, taken {@code :spread}
     * times, still fit under the user's limits: 1 for one request, which may take the last of the quota; more for a
     * block, which may take at most that fraction of what is left. PostgreSQL (read committed) and H2 re-check the
     * WHERE clause on the newest row version once they hold the row's lock, so concurrent reservations queue on the
     * row and each sees the ones before it.
     */
    private static final String RESERVE = """
            UPDATE quota_usage
            SET requests = requests + :requests, reserved_tokens = reserved_tokens + :estimate
            WHERE user_id = :user AND usage_date = :day
              AND requests + :requests * :spread
                  <= COALESCE((SELECT daily_requests FROM users WHERE id = :user), :defaultRequests)
              AND tokens + reserved_tokens + :estimate * :spread
                  <= COALESCE((SELECT daily_tokens FROM users WHERE id = :user), :defaultTokens)""";

    /**
     * PostgreSQL only: asynchronous commit for the statement's own transaction. An updated row has passed every
     * condition of the WHERE clause, this one included, so the setting is in force by the time it commits.
     */
    private static final String ASYNCHRONOUS_COMMIT = "\n  AND set_config('synchronous_commit', 'off', true) = 'off'";

    /** The day's row, created empty by the first request of the day; a row that exists already is left alone. */
    private static final String OPEN_DAY = """
            INSERT INTO quota_usage (user_id, usage_date, requests, tokens, reserved_tokens)
            VALUES (:user, :day, 0, 0, 0)
            ON CONFLICT DO NOTHING""";

    /**
     * Releases a reservation, gives back the requests of a block that were not spent, and charges what the requests
     * really used. The floors at zero only matter if a retried settlement ran twice (its first try committed, but the
     * answer was lost): it must not hand out extra headroom.
     */
    private static final String SETTLE = """
            UPDATE quota_usage
            SET requests = GREATEST(requests - :unused, 0), reserved_tokens = GREATEST(reserved_tokens - :estimate, 0),
                tokens = tokens + :actual
            WHERE user_id = :user AND usage_date = :day""";

    private static final String USAGE = """
            SELECT u.daily_requests, u.daily_tokens, q.requests, q.tokens, q.reserved_tokens
            FROM users u LEFT JOIN quota_usage q ON q.user_id = u.id AND q.usage_date = :day
            WHERE u.id = :user""";

    private static final String USAGE_ON = """
            SELECT q.user_id, u.email, q.requests, q.tokens, q.reserved_tokens
            FROM quota_usage q JOIN users u ON u.id = q.user_id
            WHERE q.usage_date = :day""";

    private static final String SET_LIMITS = "UPDATE users SET daily_requests = :requests, daily_tokens = :tokens WHERE id = :user";

    /** Tries at a smaller reply cap, against other requests of the same user taking what was left. */
    private static final int PARTIAL_TRIES = 3;

    private final DatabaseClient database;
    private final QuotaProperties defaults;
    private final String reserve;
    private final String settle;

    QuotaLedger(DatabaseClient database, QuotaProperties defaults) {
        this.database = database;
        this.defaults = defaults;
        boolean postgres = "PostgreSQL".equals(database.getConnectionFactory().getMetadata().getName());
        this.reserve = postgres ? RESERVE + ASYNCHRONOUS_COMMIT : RESERVE;
        this.settle = postgres ? SETTLE + ASYNCHRONOUS_COMMIT : SETTLE;
    }

    /**
     * Takes one request and {@code estimate} tokens from the user's quota for {@code day}; {@code false} when either
     * does not fit. One round trip, except for the first request of a day, which opens the day's row first.
     */
    Mono<Boolean> reserve(UUID user, LocalDate day, long estimate) {
        return reserve(user, day, 1, estimate, 1);
    }

    /**
     * Takes a block of {@code requests} requests and {@code estimate} tokens for one replica to hand out, only while
     * it is at most {@code 1 / spread} of what is left of either quota; {@code false} otherwise.
     */
    Mono<Boolean> reserveBlock(UUID user, LocalDate day, long requests, long estimate, int spread) {
        // No day opened on a refusal: the single reservation that follows one does that.
        return tryReserve(user, day, requests, estimate, spread);
    }

    private Mono<Boolean> reserve(UUID user, LocalDate day, long requests, long estimate, int spread) {
        return tryReserve(user, day, requests, estimate, spread).flatMap(granted -> granted
                ? Mono.just(true)
                // No row yet, or no room: open the day (a no-op when it is open) and ask once more.
                : database.sql(OPEN_DAY).bind("user", user).bind("day", day).fetch().rowsUpdated()
                        .then(tryReserve(user, day, requests, estimate, spread)));
    }

    /**
     * Takes one request, the {@code prompt} and a reply cap of up to {@code reply} tokens from the user's quota: the
     * whole {@code reply} when it fits, else whatever is left after the prompt (one round trip more to read what that
     * is, only for a user near their limit). Refused when no request is left, or not even the prompt and one reply
     * token fit. Each try is the same conditional UPDATE as {@link #reserve}, so concurrent requests cannot overspend;
     * a few are made when others keep taking what was left meanwhile. For no such user, the same failure as
     * {@link #reserve}'s; empty if the user was deleted between two tries.
     */
    Mono<Grant> reserveUpTo(UUID user, LocalDate day, long prompt, long reply) {
        return reserve(user, day, prompt + reply)
                .flatMap(granted -> granted ? Mono.just(Grant.of(reply)) : whatIsLeft(user, day, prompt, reply, PARTIAL_TRIES));
    }

    private Mono<Grant> whatIsLeft(UUID user, LocalDate day, long prompt, long reply, int tries) {
        return usage(user, day).flatMap(usage -> {
            long left = usage.tokenLimit() - usage.tokens() - usage.reservedTokens() - prompt;
            if (usage.requestsUsedUp() || left < 1 || tries == 0) {
                return Mono.just(Grant.refused(usage));
            }
            long fits = Math.min(reply, left);
            return tryReserve(user, day, 1, prompt + fits, 1).flatMap(granted -> granted ? Mono.just(Grant.of(fits))
                    : whatIsLeft(user, day, prompt, reply, tries - 1));
        });
    }

    private Mono<Boolean> tryReserve(UUID user, LocalDate day, long requests, long estimate, int spread) {
        return database.sql(reserve)
                .bind("user", user)
                .bind("day", day)
                .bind("requests", requests)
                .bind("estimate", estimate)
                .bind("spread", spread)
                .bind("defaultRequests", defaults.dailyRequests())
                .bind("defaultTokens", defaults.dailyTokens())
                .fetch().rowsUpdated()
                .map(rows -> rows == 1);
    }

    /**
     * Gives back the {@code estimate} a reservation or block held and its {@code unused} requests, and charges the
     * {@code actual} tokens instead.
     */
    Mono<Void> settle(UUID user, LocalDate day, long unused, long estimate, long actual) {
        return database.sql(settle)
                .bind("user", user)
                .bind("day", day)
                .bind("unused", unused)
                .bind("estimate", estimate)
                .bind("actual", actual)
                .fetch().rowsUpdated()
                .then();
    }

    /** The user's usage and limits on {@code day}; empty when there is no such user. */
    Mono<DailyUsage> usage(UUID user, LocalDate day) {
        return database.sql(USAGE)
                .bind("user", user)
                .bind("day", day)
                .map(row -> new DailyUsage(
                        number(row, "requests"), number(row, "tokens"), number(row, "reserved_tokens"),
                        orDefault(row, "daily_requests", defaults.dailyRequests()),
                        orDefault(row, "daily_tokens", defaults.dailyTokens())))
                .one();
    }

    /** One page of everyone's usage on {@code day}, newest-first by user id, starting after the cursor {@code before}. */
    Flux<UserUsage> usageOn(LocalDate day, UUID before, int limit) {
        DatabaseClient.GenericExecuteSpec query = database
                .sql(USAGE_ON + (before == null ? "" : " AND q.user_id < :before") + " ORDER BY q.user_id DESC LIMIT :limit")
                .bind("day", day)
                .bind("limit", limit);
        if (before != null) {
            query = query.bind("before", before);
        }
        return query.map(row -> new UserUsage(row.get("user_id", UUID.class), row.get("email", String.class),
                        number(row, "requests"), number(row, "tokens"), number(row, "reserved_tokens")))
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

    /** A user's counts for one day and the limits in force for them. */
    record DailyUsage(long requests, long tokens, long reservedTokens, long requestLimit, long tokenLimit) {

        boolean requestsUsedUp() {
            return requests >= requestLimit;
        }
    }

    /**
     * The answer to {@link #reserveUpTo}: the reply tokens held ({@code 0}: refused), and on a refusal the counts
     * that refused it.
     */
    record Grant(long replyTokens, DailyUsage refusedBy) {

        static Grant of(long replyTokens) {
            return new Grant(replyTokens, null);
        }

        static Grant refused(DailyUsage usage) {
            return new Grant(0, usage);
        }

        boolean granted() {
            return replyTokens > 0;
        }
    }

    /** One user's counts for one day, for the admins' usage report. */
    record UserUsage(UUID userId, String email, long requests, long tokens, long reservedTokens) {
    }
}
