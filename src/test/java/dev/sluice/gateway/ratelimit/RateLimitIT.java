package dev.sluice.gateway.ratelimit;

import java.time.Duration;
import java.util.Map;

import dev.sluice.gateway.testing.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static dev.sluice.gateway.ratelimit.TestClients.FORWARDED_FOR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Per-IP and per-user limits on the whole gateway, budgets in the real Redis. */
@TestPropertySource(properties = {"sluice.limits.per-ip.requests-per-minute=" + RateLimitIT.PER_IP,
        "sluice.limits.per-user.requests-per-minute=" + RateLimitIT.PER_USER})
class RateLimitIT extends IntegrationTest {

    static final int PER_IP = 5;
    static final int PER_USER = 3;

    @Test
    void successfulResponsesCarryTheRateLimitHeaders() {
        String ip = TestClients.freshIp();

        HttpHeaders headers = models("/v1/models", ip, null).expectStatus().isOk()
                .expectBody().returnResult().getResponseHeaders();

        assertThat(headers.getFirst("X-RateLimit-Limit")).isEqualTo(Integer.toString(PER_IP));
        assertThat(headers.getFirst("X-RateLimit-Remaining")).isEqualTo(Integer.toString(PER_IP - 1));
        assertThat(Long.parseLong(headers.getFirst("X-RateLimit-Reset"))).as("seconds until full, one token spent")
                .isBetween(1L, 60L);
    }

    @Test
    void afterTheLimitFromOneAddressEveryRequestGets429WithAllHeaders() {
        String ip = TestClients.freshIp();
        for (int i = 0; i < PER_IP; i++) {
            models("/v1/models", ip, null).expectStatus().isOk();
        }

        WebTestClient.ResponseSpec refused = models("/v1/models", ip, null).expectStatus().isEqualTo(429);

        refused.expectHeader().valueEquals("X-RateLimit-Limit", Integer.toString(PER_IP))
                .expectHeader().valueEquals("X-RateLimit-Remaining", "0")
                .expectHeader().exists("X-RateLimit-Reset")
                .expectHeader().value(HttpHeaders.RETRY_AFTER, retryAfter ->
                        assertThat(Long.parseLong(retryAfter)).as("one token back every 12 s").isBetween(1L, 12L))
                .expectBody()
                .jsonPath("$.error.type").isEqualTo("rate_limit_error")
                .jsonPath("$.error.code").isEqualTo("rate_limited")
                .jsonPath("$.error.message").value(message -> assertThat((String) message)
                        .as("names the limit that was hit").contains("per-IP limit of " + PER_IP));
        models("/api/v1/models", ip, null).expectStatus().isEqualTo(429)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectHeader().exists(HttpHeaders.RETRY_AFTER)
                .expectHeader().valueEquals("X-RateLimit-Remaining", "0")
                .expectBody().jsonPath("$.detail").value(detail -> assertThat((String) detail).contains("per-IP limit"));
        models("/v1/models", TestClients.freshIp(), null).expectStatus().isOk();
        web.get().uri("/ready").header(FORWARDED_FOR, ip).exchange().expectStatus().isOk()
                .expectHeader().doesNotExist("X-RateLimit-Limit");
    }

    @Test
    void guessingPasswordsFromOneAddressEndsIn429EvenForTheRightOne() {
        String attacker = TestClients.freshIp();
        String victim = TestClients.freshEmail();
        web.post().uri("/api/v1/auth/register").header(FORWARDED_FOR, TestClients.freshIp())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("email", victim, "password", "the right one"))
                .exchange().expectStatus().isCreated();

        for (int i = 0; i < PER_IP; i++) {
            login(attacker, victim, "guess " + i).expectStatus().isUnauthorized();
        }

        login(attacker, victim, "the right one").expectStatus().isEqualTo(429)
                .expectHeader().exists(HttpHeaders.RETRY_AFTER)
                .expectBody().jsonPath("$.detail").value(detail -> assertThat((String) detail).contains("per-IP"));
        // The owner, from elsewhere, is not locked out: five failures put the account on a login backoff of a few
        // seconds (auth/LoginBackoff), after which the right password works again.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                login(TestClients.freshIp(), victim, "the right one").expectStatus().isOk());
    }

    @Test
    void anAccountIsLimitedWhicheverAddressItComesFrom() {
        String token = TestClients.newAccount(web, TestClients.freshIp()).accessToken();

        for (int i = PER_USER - 1; i >= 0; i--) {
            models("/v1/models", TestClients.freshIp(), token).expectStatus().isOk()
                    .expectHeader().valueEquals("X-RateLimit-Limit", Integer.toString(PER_USER))
                    .expectHeader().valueEquals("X-RateLimit-Remaining", Integer.toString(i));
        }

        models("/v1/models", TestClients.freshIp(), token).expectStatus().isEqualTo(429)
                .expectHeader().exists(HttpHeaders.RETRY_AFTER)
                .expectHeader().valueEquals("X-RateLimit-Limit", Integer.toString(PER_USER))
                .expectBody().jsonPath("$.error.message").value(message ->
                        assertThat((String) message).contains("per-user limit of " + PER_USER));
        // Others still pass.
        models("/v1/models", TestClients.freshIp(), null).expectStatus().isOk();
    }

    @Test
    void requestsRefusedPerAddressSpendNothingFromTheAccount() {
        String flooded = TestClients.freshIp();
        String token = TestClients.newAccount(web, TestClients.freshIp()).accessToken();
        for (int i = 0; i < PER_IP; i++) {
            models("/v1/models", flooded, null).expectStatus().isOk();
        }

        for (int i = 0; i < PER_USER; i++) {
            models("/v1/models", flooded, token).expectStatus().isEqualTo(429)
                    .expectBody().jsonPath("$.error.message").value(message ->
                            assertThat((String) message).contains("per-IP limit"));
        }

        models("/v1/models", TestClients.freshIp(), token).expectStatus().isOk()
                .expectHeader().valueEquals("X-RateLimit-Limit", Integer.toString(PER_USER))
                .expectHeader().valueEquals("X-RateLimit-Remaining", Integer.toString(PER_USER - 1));
    }

    private WebTestClient.ResponseSpec models(String path, String ip, String token) {
        WebTestClient.RequestHeadersSpec<?> request = web.get().uri(path).header(FORWARDED_FOR, ip);
        if (token != null) {
            request = request.header(HttpHeaders.AUTHORIZATION, "Bearer " + token);
        }
        return request.exchange();
    }

    private WebTestClient.ResponseSpec login(String ip, String email, String password) {
        return web.post().uri("/api/v1/auth/login").header(FORWARDED_FOR, ip).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", password)).exchange();
    }
}
