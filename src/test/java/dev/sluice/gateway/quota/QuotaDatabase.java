package dev.sluice.gateway.quota;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;

import dev.sluice.gateway.config.ProductionEnvironment;
import dev.sluice.gateway.testing.ExternalServices;
import io.r2dbc.spi.ConnectionFactories;
import org.flywaydb.core.Flyway;
import org.springframework.r2dbc.core.DatabaseClient;

/**
 * A database with Sluice's migrations applied, reached through a pool the way the application reaches it:
 * the tests' real PostgreSQL, or a private H2 in PostgreSQL mode like the embedded default's.
 */
final class QuotaDatabase {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    final String name;
    final DatabaseClient client;

    private QuotaDatabase(String name, DatabaseClient client) {
        this.name = name;
        this.client = client;
    }

    /** The shared test PostgreSQL: other runs write to it too, so every test makes its own users. */
    static QuotaDatabase postgres() {
        return postgres(20);
    }

    /** The shared test PostgreSQL through a pool of at most {@code connections}. */
    static QuotaDatabase postgres(int connections) {
        String url = ExternalServices.get().postgresUrl();
        Map<String, Object> spring = ProductionEnvironment.databaseProperties(url);
        Flyway.configure()
                .dataSource((String) spring.get("spring.flyway.url"), (String) spring.get("spring.flyway.user"),
                        (String) spring.get("spring.flyway.password"))
                .load().migrate();
        return new QuotaDatabase("PostgreSQL", DatabaseClient.create(ConnectionFactories.get(
                "r2dbc:pool:" + url + (url.contains("?") ? "&" : "?") + "maxSize=" + connections)));
    }

    /** A new in-memory H2 in PostgreSQL mode, as the embedded default runs on (there from a file). */
    static QuotaDatabase h2() {
        String name = "quota-" + UUID.randomUUID();
        String options = ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1";
        // No user, as in the application: H2 creates the database for the first user to connect.
        Flyway.configure().dataSource("jdbc:h2:mem:" + name + options, "", "").load().migrate();
        return new QuotaDatabase("H2", DatabaseClient.create(ConnectionFactories.get(
                "r2dbc:pool:h2:mem:///" + name + options + "?maxSize=20")));
    }

    /** A new account with the default limits. */
    UUID newUser() {
        UUID id = UUID.randomUUID();
        client.sql("""
                        INSERT INTO users (id, email, password_hash, role, created_at)
                        VALUES (:id, :email, '!', 'USER', :now)""")
                .bind("id", id)
                .bind("email", "quota-" + id + "@example.com")
                .bind("now", OffsetDateTime.now(ZoneOffset.UTC))
                .then().block(TIMEOUT);
        return id;
    }

    @Override
    public String toString() {
        return name;
    }
}
