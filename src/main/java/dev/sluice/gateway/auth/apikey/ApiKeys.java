package dev.sluice.gateway.auth.apikey;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.sluice.gateway.auth.AuthProperties;
import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.auth.KeyScope;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import dev.sluice.gateway.web.Ids;
import dev.sluice.gateway.web.Page;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import io.r2dbc.spi.Row;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.r2dbc.core.DatabaseClient;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Personal API keys: {@code sk-sluice-} and 43 random characters, shown once. Only a SHA-256 of the key is
 * stored (a fast hash is safe for 256 random bits, and keeps lookups cheap), with its first characters for
 * recognising it in lists. Recently used keys are remembered briefly so that a busy key does not cost a
 * database round trip per request; a revoked or changed key stops working (or works as changed) here at once, and on
 * other replicas as soon as they hear of it ({@link #onChanged}, through Redis), or within {@link #REMEMBERED}
 * without Redis. What a key may do ({@link KeyScope}) comes with the lookup itself, so enforcing it costs no query;
 * an expired key is a 401 saying so, never the anonymous user.
 * <p>
 * A flood of made-up keys costs the database little: text that is not shaped like a key is refused without a
 * query, and a well-shaped key that is unknown is remembered as such ({@link #UNKNOWN_REMEMBERED}), apart from
 * the known ones so that it cannot push them out. A lookup the database does not answer within
 * {@code sluice.auth.lookup-timeout} fails with a {@link DataAccessResourceFailureException} (a 503): the
 * caller cannot be told apart from a stranger, and must not wait on a pool that is full.
 */
@Component
public class ApiKeys {

    public static final String PREFIX = "sk-sluice-";
    static final Duration REMEMBERED = Duration.ofSeconds(10);
    static final Duration UNKNOWN_REMEMBERED = Duration.ofMinutes(1);
    /** {@link #PREFIX} and 32 random bytes in URL-safe Base64 without padding. */
    private static final Pattern SHAPE = Pattern.compile(Pattern.quote(PREFIX) + "[A-Za-z0-9_-]{43}");
    private static final int VISIBLE = PREFIX.length() + 4;
    /**
     * The caller's working keys as listed, each with what it spent in the current period of its budget (the UTC day
     * for a daily budget, else the UTC month) from the usage records: one grouped read of the caller's month.
     */
    private static final String VIEW = """
            SELECT k.id, k.name, k.prefix, k.created_at, k.last_used_at, k.models, k.requests_per_minute,
                   k.tokens_per_minute, k.budget_usd, k.budget_period, k.expires_at, k.label,
                   CASE WHEN k.budget_period = 'daily' THEN s.today_usd ELSE s.month_usd END AS spent_usd
            FROM api_keys k LEFT JOIN (
                SELECT api_key_id, SUM(cost_usd) AS month_usd, SUM(CASE WHEN usage_date = :today THEN cost_usd END) AS today_usd
                FROM usage_records
                WHERE user_id = :user AND usage_date >= :month AND api_key_id IS NOT NULL
                GROUP BY api_key_id) s ON s.api_key_id = k.id
            WHERE k.user_id = :user AND k.revoked_at IS NULL""";

    private final DatabaseClient database;
    private final Duration timeout;
    private final SecureRandom random;
    private final Cache<String, Caller> recent = Caffeine.newBuilder()
            .maximumSize(10_000)
            .expireAfterWrite(REMEMBERED)
            .build();
    private final Cache<String, Boolean> unknown = Caffeine.newBuilder()
            .maximumSize(100_000)
            .expireAfterWrite(UNKNOWN_REMEMBERED)
            .build();
    private final List<Consumer<UUID>> changes = new CopyOnWriteArrayList<>();

    public ApiKeys(DatabaseClient database, AuthProperties properties) throws NoSuchAlgorithmException {
        this.database = database;
        this.timeout = properties.lookupTimeout();
        // DRBG seeds itself once, here, and then draws no entropy from the OS, so it never blocks an event loop.
        this.random = SecureRandom.getInstance("DRBG");
        this.random.nextBytes(new byte[8]);
    }

    /** A new key for the caller, with the fields of {@code fields}; the only time its full text is seen. */
    public Mono<CreatedKey> create(Caller owner, KeyFields fields) {
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String key = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        UUID id = Ids.uuid();
        Map<String, KeyFields.Column> columns = new LinkedHashMap<>(fields.columns());
        columns.putIfAbsent("name", new KeyFields.Column("default", String.class));
        columns.put("id", new KeyFields.Column(id, UUID.class));
        columns.put("user_id", new KeyFields.Column(owner.id(), UUID.class));
        columns.put("prefix", new KeyFields.Column(key.substring(0, VISIBLE), String.class));
        columns.put("key_hash", new KeyFields.Column(sha256(key), String.class));
        columns.put("created_at", new KeyFields.Column(OffsetDateTime.now(ZoneOffset.UTC), OffsetDateTime.class));
        String names = String.join(", ", columns.keySet());
        String values = columns.keySet().stream().map(column -> ":" + column).collect(Collectors.joining(", "));
        return bind(database.sql("INSERT INTO api_keys (" + names + ") VALUES (" + values + ")"), columns)
                .then()
                .then(view(owner, id))
                .map(view -> new CreatedKey(key, view));
    }

    /** The caller's keys that still work, newest first. */
    public Mono<Page<KeyView>> list(Caller owner) {
        return viewOf(database.sql(VIEW + " ORDER BY k.created_at DESC"), owner)
                .map((row, metadata) -> KeyView.of(row))
                .all()
                .take(1_000)
                .collectList()
                .map(Page::of);
    }

    /**
     * Changes the fields {@code fields} names of one of the caller's keys. It holds on this replica at once, and on the
     * others as a revocation does.
     */
    public Mono<KeyView> update(Caller owner, UUID id, KeyFields fields) {
        if (fields.columns().isEmpty()) {
            return view(owner, id);
        }
        String set = fields.columns().keySet().stream().map(column -> column + " = :" + column)
                .collect(Collectors.joining(", "));
        return bind(database.sql("UPDATE api_keys SET " + set + " WHERE id = :id AND user_id = :user AND revoked_at IS NULL"),
                fields.columns())
                .bind("id", id).bind("user", owner.id())
                .fetch().rowsUpdated()
                .flatMap(updated -> {
                    if (updated == 0) {
                        return Mono.error(notFound(id));
                    }
                    changed(id);
                    return view(owner, id);
                });
    }

    /** Revokes one of the caller's keys; someone else's key is "not found", never "forbidden", so ids do not leak. */
    public Mono<Void> revoke(Caller owner, UUID id) {
        return database.sql("""
                        UPDATE api_keys SET revoked_at = :now
                        WHERE id = :id AND user_id = :user AND revoked_at IS NULL""")
                .bind("now", OffsetDateTime.now(ZoneOffset.UTC)).bind("id", id).bind("user", owner.id())
                .fetch().rowsUpdated()
                .flatMap(updated -> {
                    if (updated == 0) {
                        return Mono.error(notFound(id));
                    }
                    changed(id);
                    return Mono.empty();
                });
    }

    private Mono<KeyView> view(Caller owner, UUID id) {
        return viewOf(database.sql(VIEW + " AND k.id = :id"), owner)
                .bind("id", id)
                .map((row, metadata) -> KeyView.of(row))
                .one()
                .switchIfEmpty(Mono.error(() -> notFound(id)));
    }

    private static DatabaseClient.GenericExecuteSpec viewOf(DatabaseClient.GenericExecuteSpec view, Caller owner) {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        return view.bind("user", owner.id()).bind("today", today).bind("month", today.withDayOfMonth(1));
    }

    /** Forgets the key here and tells the listeners, so that other replicas forget it too. */
    private void changed(UUID id) {
        forget(id);
        changes.forEach(listener -> listener.accept(id));
    }

    private static GatewayException notFound(UUID id) {
        return new GatewayException(ErrorCode.NOT_FOUND, "No API key with id " + id);
    }

    private static DatabaseClient.GenericExecuteSpec bind(DatabaseClient.GenericExecuteSpec statement,
            Map<String, KeyFields.Column> columns) {
        for (Map.Entry<String, KeyFields.Column> column : columns.entrySet()) {
            KeyFields.Column value = column.getValue();
            statement = value.value() == null ? statement.bindNull(column.getKey(), value.type())
                    : statement.bind(column.getKey(), value.value());
        }
        return statement;
    }

    /** Stops remembering a key that was revoked or changed, here or on another replica. */
    public void forget(UUID keyId) {
        recent.asMap().values().removeIf(caller -> keyId.equals(caller.apiKeyId()));
    }

    /** Stops remembering every key of an account, whose role changed. */
    public void forgetAccount(UUID user) {
        recent.asMap().values().removeIf(caller -> user.equals(caller.id()));
    }

    /** Tells {@code listener} the id of every key revoked or changed on this replica. */
    public void onChanged(Consumer<UUID> listener) {
        changes.add(listener);
    }

    /**
     * The caller a key belongs to, with the role its account has, or empty when the key is unknown or revoked;
     * a {@link DataAccessResourceFailureException} when the database cannot say.
     */
    public Mono<Caller> authenticate(String key) {
        if (!SHAPE.matcher(key).matches()) {
            return Mono.empty();
        }
        String hash = sha256(key);
        Caller known = recent.getIfPresent(hash);
        if (known != null) {
            return unexpired(known);
        }
        if (unknown.getIfPresent(hash) != null) {
            return Mono.empty();
        }
        return database.sql("""
                        SELECT k.id AS key_id, u.id AS user_id, u.email, u.role, k.models, k.requests_per_minute,
                               k.tokens_per_minute, k.budget_usd, k.budget_period, k.expires_at
                        FROM api_keys k JOIN users u ON u.id = k.user_id
                        WHERE k.key_hash = :hash AND k.revoked_at IS NULL""")
                .bind("hash", hash)
                .map((row, metadata) -> new Caller(row.get("user_id", UUID.class), row.get("email", String.class),
                        Caller.Role.ADMIN.name().equals(row.get("role", String.class)) ? Caller.Role.ADMIN : Caller.Role.USER,
                        row.get("key_id", UUID.class), scope(row)))
                .one()
                .timeout(timeout, Mono.error(() -> new DataAccessResourceFailureException(
                        "The database did not answer an API key lookup within " + timeout.toMillis() + " ms")))
                .doOnNext(caller -> {
                    recent.put(hash, caller);
                    markUsed(caller);
                })
                .flatMap(ApiKeys::unexpired)
                .switchIfEmpty(Mono.fromRunnable(() -> unknown.put(hash, Boolean.TRUE)));
    }

    /** The caller, or a 401 saying when its key expired: unlike an unknown key, never the anonymous user. */
    private static Mono<Caller> unexpired(Caller caller) {
        Instant expiresAt = caller.scope().expiresAt();
        if (expiresAt == null || !caller.scope().expired(Instant.now())) {
            return Mono.just(caller);
        }
        return Mono.error(new GatewayException(ErrorCode.UNAUTHORIZED, "The API key expired at " + expiresAt
                + "; make a new one (POST /api/v1/keys) or extend it (PATCH /api/v1/keys/{id} with expires_at)"));
    }

    private static KeyScope scope(Row row) {
        String models = row.get("models", String.class);
        Integer requestsPerMinute = row.get("requests_per_minute", Integer.class);
        Integer tokensPerMinute = row.get("tokens_per_minute", Integer.class);
        BigDecimal budgetUsd = row.get("budget_usd", BigDecimal.class);
        OffsetDateTime expiresAt = row.get("expires_at", OffsetDateTime.class);
        if (models == null && requestsPerMinute == null && tokensPerMinute == null && budgetUsd == null && expiresAt == null) {
            return KeyScope.NONE;
        }
        return new KeyScope(models == null ? null : Set.copyOf(KeyFields.models(models)), requestsPerMinute, tokensPerMinute, budgetUsd,
                KeyScope.BudgetPeriod.of(row.get("budget_period", String.class)),
                expiresAt == null ? null : expiresAt.toInstant());
    }

    /** Off the request path, and only when the key was not remembered: a rough "last used" is enough. */
    private void markUsed(Caller caller) {
        database.sql("UPDATE api_keys SET last_used_at = :now WHERE id = :id")
                .bind("now", OffsetDateTime.now(ZoneOffset.UTC)).bind("id", caller.apiKeyId())
                .then()
                .onErrorResume(failure -> Mono.empty())
                .subscribe();
    }

    /** The hex SHA-256 of a random credential (an API key, an invite code): what is stored instead of it. */
    public static String sha256(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        }
        catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /** A key as created: {@code key} is its full text, shown this once, with the key as listed. */
    public record CreatedKey(String key, @JsonUnwrapped KeyView view) {

        @Override
        public String toString() {
            return "CreatedKey[id=" + view.id() + ", prefix=" + view.prefix() + "]";
        }
    }

    /**
     * A key as listed: never its text. {@code lastUsedAt} is updated at most every few seconds; a {@code null} limit,
     * {@code models} or expiry does not limit. {@code spentUsd} is what the key spent in the current period of its
     * budget (today for a daily one, else this month, UTC), priced calls only, as the usage records have it a moment
     * after each call; 0 when nothing priced was spent.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record KeyView(UUID id, String name, String prefix, OffsetDateTime createdAt, OffsetDateTime lastUsedAt,
            List<String> models, Integer requestsPerMinute, Integer tokensPerMinute, BigDecimal budgetUsd,
            String budgetPeriod, OffsetDateTime expiresAt, String label, BigDecimal spentUsd) {

        static KeyView of(Row row) {
            return new KeyView(row.get("id", UUID.class), row.get("name", String.class), row.get("prefix", String.class),
                    row.get("created_at", OffsetDateTime.class), row.get("last_used_at", OffsetDateTime.class),
                    KeyFields.models(row.get("models", String.class)), row.get("requests_per_minute", Integer.class),
                    row.get("tokens_per_minute", Integer.class), row.get("budget_usd", BigDecimal.class),
                    row.get("budget_period", String.class), row.get("expires_at", OffsetDateTime.class),
                    row.get("label", String.class), spent(row.get("spent_usd", BigDecimal.class)));
        }

        /** Sums come back as NUMERIC with the column's scale, or {@code null} when there was nothing to add. */
        private static BigDecimal spent(BigDecimal sum) {
            return sum == null ? BigDecimal.ZERO.setScale(6) : sum;
        }
    }
}
