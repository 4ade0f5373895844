package dev.sluice.gateway.auth.apikey;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Set;
import java.util.UUID;

import dev.sluice.gateway.auth.AuthProperties;
import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.auth.KeyScope;
import io.r2dbc.spi.ConnectionFactories;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.springframework.r2dbc.core.DatabaseClient;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A key's scope on H2 in PostgreSQL mode, the embedded default's database (PostgreSQL runs the same SQL in
 * {@code ScopedKeysIT}): stored, read back with the key's lookup, and cleared by explicit nulls.
 */
class ScopedKeysOnH2Tests {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final DatabaseClient database = h2();

    @Test
    void aScopeIsStoredReadWithTheKeyAndClearedByNulls() throws Exception {
        ApiKeys keys = new ApiKeys(database, new AuthProperties(false, null, "sluice", Duration.ofHours(1),
                AuthProperties.Registration.OPEN, null, Duration.ofDays(7), Duration.ofSeconds(5), 4, null));
        Caller owner = new Caller(newUser(), "h2@example.com", Caller.Role.USER, null);
        Instant expiry = Instant.parse("2099-01-01T00:00:00Z");

        ApiKeys.CreatedKey created = keys.create(owner, fields("{\"models\":[\"fast\",\"smart\"],\"requests_per_minute\":7,"
                + "\"tokens_per_minute\":900,\"budget_usd\":2.5,\"budget_period\":\"monthly\",\"expires_at\":\"" + expiry
                + "\",\"label\":\"ci\"}")).block(TIMEOUT);
        KeyScope scope = keys.authenticate(created.key()).block(TIMEOUT).scope();

        assertThat(scope).isEqualTo(new KeyScope(Set.of("fast", "smart"), 7, 900, new BigDecimal("2.500000"),
                KeyScope.BudgetPeriod.MONTHLY, expiry));
        ApiKeys.KeyView cleared = keys.update(owner, created.view().id(), fields("{\"models\":null,\"requests_per_minute\":null,"
                + "\"tokens_per_minute\":null,\"budget_usd\":null,\"expires_at\":null,\"label\":null}")).block(TIMEOUT);
        assertThat(cleared.models()).isNull();
        assertThat(cleared.budgetUsd()).isNull();
        assertThat(cleared.expiresAt()).isNull();
        assertThat(cleared.name()).as("unchanged").isEqualTo("default");
        assertThat(keys.authenticate(created.key()).block(TIMEOUT).scope()).as("forgotten at once, read afresh")
                .isEqualTo(KeyScope.NONE);
    }

    private static KeyFields fields(String json) {
        return KeyFields.read(JSON.readTree(json), Instant.now());
    }

    private UUID newUser() {
        UUID id = UUID.randomUUID();
        database.sql("INSERT INTO users (id, email, password_hash, role, created_at) VALUES (:id, :email, '!', 'USER', :now)")
                .bind("id", id).bind("email", "keys-" + id + "@example.com").bind("now", OffsetDateTime.now(ZoneOffset.UTC))
                .then().block(TIMEOUT);
        return id;
    }

    private static DatabaseClient h2() {
        String name = "keys-" + UUID.randomUUID();
        String options = ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1";
        Flyway.configure().dataSource("jdbc:h2:mem:" + name + options, "", "").load().migrate();
        return DatabaseClient.create(ConnectionFactories.get("r2dbc:pool:h2:mem:///" + name + options + "?maxSize=4"));
    }
}
