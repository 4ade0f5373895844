package dev.sluice.gateway.quota;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.sluice.bench.Script;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.Disposable;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Daily quotas through HTTP: refusals, the caller's own quota, the admin endpoints, and settling after streams. */
@TestPropertySource(properties = {"sluice.auth.bootstrap-admin.email=" + QuotaIT.ADMIN_EMAIL,
        "sluice.auth.bootstrap-admin.password=" + TestAccounts.PASSWORD,
        // These tests send many requests in little time: only the daily quota may refuse them here.
        "sluice.limits.per-ip.requests-per-minute=100000", "sluice.limits.per-user.requests-per-minute=100000"})
class QuotaIT extends IntegrationTest {

    static final String ADMIN_EMAIL = "quota-admin@admins.example";
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @Autowired
    QuotaProperties defaults;

    private TestAccounts.Account admin;
    private TestAccounts.Account user;

    @BeforeEach
    void accounts() {
        admin = TestAccounts.registerOrLogin(baseUrl(), ADMIN_EMAIL);
        user = TestAccounts.register(baseUrl());
    }

    @Test
    void pastItsDailyRequestsACallerGets429WithRetryAfterUntilMidnightAndABodyNamingTheQuota() {
        setLimits(user.id(), "{\"daily_requests\":2,\"daily_tokens\":null}").expectStatus().isOk();
        chat(user, "/v1/chat/completions").expectStatus().isOk();
        chat(user, "/api/v1/chat").expectStatus().isOk();

        long untilMidnight = Duration.between(Instant.now(), LocalDate.now(ZoneOffset.UTC).plusDays(1)
                .atStartOfDay(ZoneOffset.UTC).toInstant()).toSeconds();
        JsonNode openAi = body(chat(user, "/v1/chat/completions")
                .expectStatus().isEqualTo(429)
                .expectHeader().value(HttpHeaders.RETRY_AFTER, retryAfter -> assertThat(Long.parseLong(retryAfter))
                        .as("seconds until 00:00 UTC").isBetween(untilMidnight - 5, untilMidnight + 5)));
        JsonNode problem = body(chat(user, "/api/v1/chat")
                .expectStatus().isEqualTo(429)
                .expectHeader().exists(HttpHeaders.RETRY_AFTER)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON));

        assertThat(openAi.at("/error/type").asString()).isEqualTo("rate_limit_error");
        assertThat(openAi.at("/error/message").asString()).startsWith("Daily request quota used up: 2 of 2");
        assertThat(problem.path("detail").asString()).as("a stream is refused before it starts")
                .startsWith("Daily request quota used up");
        assertThat(upstream.requests()).as("refused requests never reach the upstream").isEqualTo(2);
    }

    @Test
    void aRequestWhoseInputDoesNotFitGets429NamingTheTokenQuota() {
        setLimits(user.id(), "{\"daily_requests\":null,\"daily_tokens\":50}").expectStatus().isOk();

        JsonNode refused = body(web.post().uri("/v1/chat/completions").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\""
                        + "x".repeat(200) + "\"}]}")
                .exchange().expectStatus().isEqualTo(429).expectHeader().exists(HttpHeaders.RETRY_AFTER));

        assertThat(refused.at("/error/message").asString()).startsWith("Daily token quota exceeded");
        assertThat(upstream.requests()).isZero();
    }

    @Test
    void theCallerSeesUsedLimitRemainingAndTheResetPerQuota() {
        setLimits(user.id(), "{\"daily_requests\":7,\"daily_tokens\":9000}").expectStatus().isOk();
        chat(user, "/v1/chat/completions").expectStatus().isOk();
        String midnight = LocalDate.now(ZoneOffset.UTC).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().toString();

        await().atMost(TIMEOUT).untilAsserted(() -> {
            JsonNode quota = quota(user.bearer());
            assertThat(quota.at("/tokens/reserved").asLong()).as("settled").isZero();
            assertThat(quota.at("/tokens/used").asLong()).as("the reply's usage").isPositive();
            assertThat(quota.at("/tokens/remaining").asLong()).isEqualTo(9000 - quota.at("/tokens/used").asLong());
        });
        JsonNode quota = quota(user.bearer());
        assertThat(quota.at("/requests/used").asLong()).isEqualTo(1);
        assertThat(quota.at("/requests/limit").asLong()).isEqualTo(7);
        assertThat(quota.at("/requests/remaining").asLong()).isEqualTo(6);
        assertThat(quota.at("/requests/resets_at").asString()).isEqualTo(midnight);
        assertThat(quota.at("/tokens/limit").asLong()).isEqualTo(9000);
        assertThat(quota.at("/tokens/resets_at").asString()).isEqualTo(midnight);
    }

    @Test
    void aStreamHoldsItsEstimateWhileItRunsAndIsSettledToTheUsageItReported() {
        upstream.enqueue(Script.tokens(4).every(Duration.ofMillis(300)));
        List<String> events = new ArrayList<>();

        Disposable stream = streamedChat(user.bearer(), "{\"model\":\"fake\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Count to four\"}]}").doOnNext(events::add).subscribe();
        try {
            await().atMost(TIMEOUT).untilAsserted(() -> assertThat(quota(user.bearer()).at("/tokens/reserved").asLong())
                    .as("held while it streams: the prompt and the reply allowance").isEqualTo(4 + defaults.replyAllowance()));
            await().atMost(TIMEOUT).until(stream::isDisposed);
        }
        finally {
            stream.dispose();
        }

        long reported = events.stream().filter(data -> data.contains("\"usage\":{")).findFirst()
                .map(data -> SseEvents.json(data).at("/usage/total_tokens").asLong()).orElseThrow();
        await().atMost(TIMEOUT).untilAsserted(() -> {
            JsonNode quota = quota(user.bearer());
            assertThat(quota.at("/tokens/reserved").asLong()).as("released").isZero();
            assertThat(quota.at("/tokens/used").asLong()).as("what the provider reported").isEqualTo(reported);
        });
    }

    @Test
    void aClientThatHangsUpMidStreamIsSettledToo() {
        upstream.enqueue(Script.tokens(100).every(Duration.ofMillis(50)));

        List<String> received = streamedChat(user.bearer(), "{\"model\":\"fake\",\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Talk for a while\"}]}").take(3).collectList().block(TIMEOUT);

        assertThat(received).hasSize(3);
        await().atMost(TIMEOUT).untilAsserted(() -> {
            JsonNode quota = quota(user.bearer());
            assertThat(quota.at("/tokens/reserved").asLong()).as("the reservation does not leak").isZero();
            assertThat(quota.at("/tokens/used").asLong()).as("charged for the prompt and what was streamed").isPositive();
            assertThat(quota.at("/requests/used").asLong()).isEqualTo(1);
        });
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(upstream.cancelledStreams()).isEqualTo(1));
    }

    @Test
    void adminEndpointsAre403ForOthers() {
        web.get().uri("/api/v1/admin/usage").header(HttpHeaders.AUTHORIZATION, user.bearer()).exchange()
                .expectStatus().isForbidden();
        web.put().uri("/api/v1/admin/users/{id}/quota", user.id()).header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"daily_requests\":100000}").exchange()
                .expectStatus().isForbidden();
        web.get().uri("/api/v1/admin/usage").exchange().expectStatus().isForbidden(); // anonymous
    }

    @Test
    void anAdminSetsAUsersLimitsAndNullRestoresTheDefault() {
        JsonNode set = body(setLimits(user.id(), "{\"daily_requests\":10,\"daily_tokens\":null}").expectStatus().isOk());
        assertThat(set.path("user_id").asString()).isEqualTo(user.id().toString());
        assertThat(set.path("daily_requests").asLong()).isEqualTo(10);
        assertThat(set.path("daily_tokens").isNull()).as("the default").isTrue();
        assertThat(set.at("/effective/daily_tokens").asLong()).isEqualTo(defaults.dailyTokens());
        assertThat(quota(user.bearer()).at("/requests/limit").asLong()).isEqualTo(10);

        setLimits(user.id(), "{\"daily_requests\":null,\"daily_tokens\":null}").expectStatus().isOk();
        assertThat(quota(user.bearer()).at("/requests/limit").asLong()).isEqualTo(defaults.dailyRequests());
    }

    @Test
    void badLimitsAre400AndUnknownUsers404() {
        assertThat(body(setLimits(user.id(), "{\"daily_requests\":-1}").expectStatus().isBadRequest())
                .path("detail").asString()).startsWith("daily_requests");
        setLimits(user.id(), "{\"daily_tokens\":\"lots\"}").expectStatus().isBadRequest();
        setLimits(UUID.randomUUID(), "{\"daily_requests\":1}").expectStatus().isNotFound();
        web.put().uri("/api/v1/admin/users/not-a-user/quota").header(HttpHeaders.AUTHORIZATION, admin.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"daily_requests\":1}").exchange()
                .expectStatus().isNotFound();
        web.get().uri("/api/v1/admin/usage?date=yesterday").header(HttpHeaders.AUTHORIZATION, admin.bearer()).exchange()
                .expectStatus().isBadRequest();
        web.get().uri("/api/v1/admin/usage?limit=0").header(HttpHeaders.AUTHORIZATION, admin.bearer()).exchange()
                .expectStatus().isBadRequest();
    }

    @Test
    void anAdminPagesThroughEveryonesUsageOfADay() {
        List<TestAccounts.Account> users = List.of(user, TestAccounts.register(baseUrl()), TestAccounts.register(baseUrl()));
        for (TestAccounts.Account account : users) {
            chat(account, "/v1/chat/completions").expectStatus().isOk();
        }
        String today = LocalDate.now(ZoneOffset.UTC).toString();

        // Other runs share the database, so this reads every page of the day (bounded) and looks for these users.
        Map<String, JsonNode> seen = new HashMap<>();
        String cursor = null;
        for (int page = 0; page < 1000; page++) {
            String query = "/api/v1/admin/usage?date=" + today + "&limit=2" + (cursor == null ? "" : "&before=" + cursor);
            JsonNode body = body(web.get().uri(query)
                    .header(HttpHeaders.AUTHORIZATION, admin.bearer()).exchange().expectStatus().isOk());
            assertThat(body.path("items").size()).as("bounded by limit").isLessThanOrEqualTo(2);
            body.path("items").forEach(item -> seen.put(item.path("user_id").asString(), item));
            cursor = body.path("next_cursor").isNull() ? null : body.path("next_cursor").asString();
            if (cursor == null) {
                break;
            }
        }

        assertThat(cursor).as("the last page has no next cursor").isNull();
        for (TestAccounts.Account account : users) {
            JsonNode item = seen.get(account.id().toString());
            assertThat(item).as("every user with usage today is listed").isNotNull();
            assertThat(item.path("email").asString()).isEqualTo(account.email());
            assertThat(item.path("requests").asLong()).isEqualTo(1);
        }
    }

    private WebTestClient.ResponseSpec chat(TestAccounts.Account account, String path) {
        String body = path.startsWith("/v1/")
                ? "{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"
                : "{\"model\":\"fake\",\"prompt\":\"Hi\",\"stream\":false}";
        return web.post().uri(path).header(HttpHeaders.AUTHORIZATION, account.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    private WebTestClient.ResponseSpec setLimits(UUID id, String json) {
        return web.put().uri("/api/v1/admin/users/{id}/quota", id).header(HttpHeaders.AUTHORIZATION, admin.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(json).exchange();
    }

    private static JsonNode body(WebTestClient.ResponseSpec response) {
        return SseEvents.json(new String(response.expectBody().returnResult().getResponseBodyContent(),
                java.nio.charset.StandardCharsets.UTF_8));
    }

    private String baseUrl() {
        return "http://127.0.0.1:" + port;
    }
}
