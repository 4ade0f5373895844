package dev.sluice.gateway.security;

import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;

import dev.sluice.gateway.testing.ExternalServices;
import dev.sluice.gateway.testing.IntegrationTest;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 12, point 4 (the edge's part): the per-IP limit applies before authentication and counts failures, so a host
 * guessing API keys is stopped by it before its guesses reach the database. Anonymous access off, as in prod, so a
 * bad key is a 401 rather than the anonymous user.
 */
@TestPropertySource(properties = {"sluice.auth.anonymous=false",
        "sluice.limits.per-ip.requests-per-minute=" + SecurityRegressionKeyGuessingIT.PER_IP,
        "sluice.limits.per-user.requests-per-minute=" + SecurityRegressionKeyGuessingIT.PER_USER})
class SecurityRegressionKeyGuessingIT extends IntegrationTest {

    static final int PER_IP = 20;
    static final int PER_USER = 10;
    private static final int GUESSES = 10_000;
    private static final String PASSWORD = "correct horse battery";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Connections taken from the gateway's pool: one per database round trip a request makes. */
    private static final AtomicLong connectionsTaken = new AtomicLong();

    /** The application's pool, counting what is taken from it. */
    @TestConfiguration(proxyBeanMethods = false)
    static class CountingPool {

        @Bean
        ConnectionFactory connectionFactory() {
            ConnectionFactory pool = ConnectionFactories.get(ExternalServices.get().r2dbcUrl()
                    .replace("r2dbc:postgresql:", "r2dbc:pool:postgresql:") + "?initialSize=2&maxSize=20&maxAcquireTime=PT5S");
            return new ConnectionFactory() {
                @Override
                public Publisher<? extends Connection> create() {
                    return Mono.defer(() -> {
                        connectionsTaken.incrementAndGet();
                        return Mono.from(pool.create());
                    });
                }

                @Override
                public ConnectionFactoryMetadata getMetadata() {
                    return pool.getMetadata();
                }
            };
        }
    }

    @Test
    void tenThousandRandomKeysFromOneHostMostlyGet429BeforeAnyDatabaseLookup() {
        String legitimateAddress = Peers.benchmarkAddress();
        String token = newAccount(legitimateAddress);
        WebClient guesser = Peers.from(Peers.untrustedLoopback(), port);
        long started = System.nanoTime();
        long connectionsBefore = connectionsTaken.get();

        Map<Integer, Long> byStatus = Flux.range(0, GUESSES)
                .flatMap(i -> guesser.get().uri("/v1/models").header(HttpHeaders.AUTHORIZATION, "Bearer " + randomKey())
                        .exchangeToMono(response -> response.releaseBody().thenReturn(response.statusCode().value())), 32)
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()))
                .block(Duration.ofMinutes(3));

        long lookups = connectionsTaken.get() - connectionsBefore;
        long budget = PER_IP + Duration.ofNanos(System.nanoTime() - started).toSeconds() * PER_IP / 60 + 1;
        assertThat(byStatus).as("a bad key is a 401 while the address has budget, then a 429").containsOnlyKeys(401, 429);
        assertThat(byStatus.get(401)).as("failures spend the per-IP budget").isBetween((long) PER_IP, budget);
        assertThat(lookups).as("database round trips for %d guesses: about the per-IP budget's worth", GUESSES)
                .isLessThanOrEqualTo(budget + 10);
        web.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
        web.post().uri("/api/v1/chat").header("X-Forwarded-For", legitimateAddress)
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + token).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"prompt\":\"Still there?\",\"stream\":false}")
                .exchange().expectStatus().isOk();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(quota(legitimateAddress, token)
                .path("requests").path("used").asLong()).as("the legitimate chat is counted").isEqualTo(1));
    }

    @Test
    void thePerUserLimitStillBindsAfterAuthentication() {
        String token = newAccount(Peers.benchmarkAddress());

        for (int i = PER_USER - 1; i >= 0; i--) {
            models(Peers.benchmarkAddress(), token).expectStatus().isOk()
                    .expectHeader().valueEquals("X-RateLimit-Limit", Integer.toString(PER_USER))
                    .expectHeader().valueEquals("X-RateLimit-Remaining", Integer.toString(i));
        }

        models(Peers.benchmarkAddress(), token).expectStatus().isEqualTo(429)
                .expectHeader().exists(HttpHeaders.RETRY_AFTER)
                .expectBody().jsonPath("$.error.message").value(message ->
                        assertThat((String) message).as("names the limit").contains("per-user limit of " + PER_USER));
    }

    private org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec models(String address, String token) {
        return web.get().uri("/v1/models").header("X-Forwarded-For", address)
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + token).exchange();
    }

    private String newAccount(String address) {
        String email = "key-guessing-" + Peers.benchmarkAddress() + "-" + System.nanoTime() + "@example.com";
        Map<String, String> credentials = Map.of("email", email, "password", PASSWORD);
        web.post().uri("/api/v1/auth/register").header("X-Forwarded-For", address).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(credentials).exchange().expectStatus().isCreated();
        return (String) web.post().uri("/api/v1/auth/login").header("X-Forwarded-For", address)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(credentials).exchange().expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody().get("access_token");
    }

    private JsonNode quota(String address, String token) {
        return JSON.readTree(web.get().uri("/api/v1/quota").header("X-Forwarded-For", address)
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + token).exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody());
    }

    private static String randomKey() {
        byte[] secret = new byte[32];
        ThreadLocalRandom.current().nextBytes(secret);
        return "sk-sluice-" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }
}
