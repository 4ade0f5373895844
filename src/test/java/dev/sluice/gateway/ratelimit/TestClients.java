package dev.sluice.gateway.ratelimit;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * Clients as the gateway sees them in the integration tests: each test comes from addresses of its own
 * (through {@code X-Forwarded-For}, believed from 127.0.0.1), and makes accounts of its own through the API,
 * since Redis and the database outlive a test run.
 */
final class TestClients {

    static final String FORWARDED_FOR = "X-Forwarded-For";
    private static final String PASSWORD = "correct horse battery";

    private TestClients() {
    }

    /** A client address no other test run is likely to use within the minute its budget lasts: 198.18.0.0/15, for benchmarks. */
    static String freshIp() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return "198." + (18 + random.nextInt(2)) + "." + random.nextInt(256) + "." + (1 + random.nextInt(254));
    }

    static String freshEmail() {
        return "ratelimit-" + UUID.randomUUID() + "@example.com";
    }

    /** An account made through the API. */
    record Account(String id, String accessToken) {
    }

    /** Registers a new account and logs in, from {@code ip}. */
    static Account newAccount(WebTestClient web, String ip) {
        String email = freshEmail();
        Map<?, ?> account = web.post().uri("/api/v1/auth/register").header(FORWARDED_FOR, ip)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("email", email, "password", PASSWORD))
                .exchange().expectStatus().isCreated()
                .expectBody(Map.class).returnResult().getResponseBody();
        return new Account((String) account.get("id"), login(web, ip, email, PASSWORD));
    }

    static String login(WebTestClient web, String ip, String email, String password) {
        Map<?, ?> token = web.post().uri("/api/v1/auth/login").header(FORWARDED_FOR, ip).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", password))
                .exchange().expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody();
        return (String) token.get("access_token");
    }
}
