package dev.sluice.gateway.testing;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import dev.sluice.gateway.config.ProductionEnvironment;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The real PostgreSQL and Redis the integration tests run against: Testcontainers where a Docker engine
 * exists, otherwise the services at {@code SLUICE_TEST_POSTGRES_URL} and {@code SLUICE_TEST_REDIS_URL}
 * (default: the local services). Both are checked once; one that cannot be reached fails the tests
 * with a message saying what to start, never skips them.
 */
public final class ExternalServices {

    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(10);
    private static ExternalServices instance;

    private final String postgresUrl;
    private final String redisUrl;

    private ExternalServices(String postgresUrl, String redisUrl) {
        this.postgresUrl = postgresUrl;
        this.redisUrl = redisUrl;
    }

    public static synchronized ExternalServices get() {
        if (instance == null) {
            instance = DockerClientFactory.instance().isDockerAvailable() ? fromContainers() : fromEnvironment();
            instance.check();
        }
        return instance;
    }

    /** {@code postgresql://user[:password]@host:port/database} */
    public String postgresUrl() {
        return postgresUrl;
    }

    public String r2dbcUrl() {
        return "r2dbc:" + postgresUrl;
    }

    /**
     * A pool like the gateway's own (2 to 20 connections, 2 s to acquire one) to this PostgreSQL through a local
     * proxy on {@code proxyPort}, for tests that cut the database away; given to the gateway as a bean, since the
     * integration tests' dynamic properties would override {@code spring.r2dbc.url}.
     */
    public ConnectionFactory pooledThrough(int proxyPort) {
        URI direct = URI.create(postgresUrl);
        String proxied = r2dbcUrl().replace("r2dbc:postgresql:", "r2dbc:pool:postgresql:")
                .replace("@" + direct.getHost() + ":" + direct.getPort() + "/", "@127.0.0.1:" + proxyPort + "/");
        return ConnectionFactories.get(proxied + "?initialSize=2&maxSize=20&maxAcquireTime=PT2S&maxCreateConnectionTime=PT2S");
    }

    /** The Spring properties that point the gateway at these services, as {@code DATABASE_URL} and {@code REDIS_URL} would. */
    public Map<String, Object> springProperties() {
        Map<String, Object> properties = new HashMap<>(ProductionEnvironment.databaseProperties(postgresUrl));
        properties.put("spring.data.redis.url", redisUrl);
        return properties;
    }

    /** {@code redis://host:port} */
    public String redisUrl() {
        return redisUrl;
    }

    @SuppressWarnings("resource") // containers live as long as the test JVM; Ryuk removes them
    private static ExternalServices fromContainers() {
        PostgreSQLContainer postgres = new PostgreSQLContainer("postgres:16-alpine");
        GenericContainer<?> redis = new GenericContainer<>("redis:7-alpine").withExposedPorts(6379);
        postgres.start();
        redis.start();
        return new ExternalServices("postgresql://" + postgres.getUsername() + ":" + postgres.getPassword() + "@"
                + postgres.getHost() + ":" + postgres.getMappedPort(5432) + "/" + postgres.getDatabaseName(),
                "redis://" + redis.getHost() + ":" + redis.getMappedPort(6379));
    }

    private static ExternalServices fromEnvironment() {
        return new ExternalServices(env("SLUICE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
                env("SLUICE_TEST_REDIS_URL", "redis://127.0.0.1:6379"));
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    private void check() {
        try {
            Mono.usingWhen(ConnectionFactories.get(r2dbcUrl()).create(),
                    connection -> Flux.from(connection.createStatement("SELECT 1").execute())
                            .flatMap(result -> result.map((row, metadata) -> row.get(0)))
                            .then(),
                    Connection::close).block(CHECK_TIMEOUT);
        }
        catch (RuntimeException failure) {
            throw new IllegalStateException("PostgreSQL is not reachable at " + redact(postgresUrl)
                    + ": start it or set SLUICE_TEST_POSTGRES_URL (see README, 'Tests')", failure);
        }
        RedisURI uri = RedisURI.create(redisUrl);
        uri.setTimeout(CHECK_TIMEOUT);
        RedisClient client = RedisClient.create(uri);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            connection.sync().ping();
        }
        catch (RuntimeException failure) {
            throw new IllegalStateException("Redis is not reachable at " + redisUrl
                    + ": start it or set SLUICE_TEST_REDIS_URL (see README, 'Tests')", failure);
        }
        finally {
            client.shutdown();
        }
    }

    private static String redact(String url) {
        URI uri = URI.create(url);
        return uri.getScheme() + "://" + uri.getHost() + ":" + uri.getPort() + uri.getPath();
    }
}
