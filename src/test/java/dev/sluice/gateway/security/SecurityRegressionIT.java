package dev.sluice.gateway.security;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.sluice.bench.Script;
import dev.sluice.gateway.testing.ExternalServices;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import io.r2dbc.spi.ConnectionFactories;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 12's points 1–7, attacked end to end over HTTP against the whole gateway on real PostgreSQL and Redis:
 * each test failed before its fix. Points that need other settings than {@link IntegrationTest}'s (closed
 * registration, a tiny per-IP limit, a second replica) have classes of their own beside this one.
 */
class SecurityRegressionIT extends IntegrationTest {

    // --- 1. Admin by registration -----------------------------------------------------------------------------

    // --- 2. Known secrets accepted ------------------------------------------------------------------------------

    // --- 3. Forwarded headers trusted from anyone ------------------------------------------------------------

    // --- 4. Failed authentication is rate limited; bad keys do not reach the database -------------------------

    // --- 5. A 403 for content disables no key ------------------------------------------------------------------

    // --- 6. Token quotas cannot be overspent --------------------------------------------------------------------

    /** The requests that reached the fake upstream, parsed. */
    private static List<JsonNode> sentUpstream() {
        return upstream.requestBodies().stream().map(SseEvents::json).toList();
    }

    @Test
    void theReplyCapSentUpstreamIsTheRequestedMaxTokensElseTheAllowanceAndNeverMoreThanIsLeftToday() {
        QuotaUser user = QuotaUser.register(client());

        quotaChat(user, "\"max_tokens\":50,").expectStatus().isOk();
        quotaChat(user, "\"max_completion_tokens\":40,").expectStatus().isOk();
        quotaChat(user, "").expectStatus().isOk();
        long used = user.awaitSettled(web);
        user.limitTokens(used + 20);
        quotaChat(user, "\"max_tokens\":500,").expectStatus().isOk();

        assertThat(sentUpstream()).extracting(body -> body.path("max_tokens").asInt())
                .as("as asked; as asked under its newer name; the 1,000-token reply allowance; and the 19 tokens left"
                        + " after the 1-token prompt")
                .containsExactly(50, 40, 1_000, 19);
    }

    @Test
    void toolsToolCallArgumentsAndResponseFormatSchemasCountAgainstTheTokenQuota() {
        QuotaUser user = QuotaUser.register(client());
        user.limitTokens(500);
        String big = "x".repeat(4_000);
        List<String> bodies = List.of(
                "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"description\":\"" + big + "\"}}],",
                "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\","
                        + "\"properties\":{\"" + big + "\":{\"type\":\"string\"}}}}}],",
                "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"s\",\"schema\":{\"title\":\""
                        + big + "\"}}},");
        for (String fields : bodies) {
            assertThat(quotaChat(user, "\"max_tokens\":10," + fields).expectStatus().isEqualTo(429)
                    .expectBody(String.class).returnResult().getResponseBody())
                    .as("about 1,000 input tokens do not fit in 500, whatever field holds them").contains("Daily token quota exceeded");
        }
        String toolCall = "{\"model\":\"fake\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"f\",\"arguments\":\"" + big + "\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"ok\"}]}";
        web.post().uri("/v1/chat/completions").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(toolCall).exchange()
                .expectStatus().isEqualTo(429);

        assertThat(upstream.requests()).as("none of them went upstream").isZero();
    }

    @Test
    void aRequestTheCallerHangsUpOnBeforeItsFirstTokenIsChargedThePromptTheProviderRead() {
        QuotaUser user = QuotaUser.register(client());
        upstream.enqueue(Script.tokens(5).firstTokenAfter(FIRST_TOKEN_TIMEOUT.minusMillis(100)));

        reactor.core.Disposable call = client().post().uri("/v1/chat/completions").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\""
                        + "x".repeat(400) + "\"}]}")
                .retrieve().bodyToFlux(String.class).subscribe();
        await().atMost(Duration.ofSeconds(10)).until(() -> upstream.requests() == 1);
        call.dispose();

        assertThat(user.awaitSettled(web)).as("the 400-character prompt's 100 tokens, not 0").isEqualTo(100);
    }

    @Test
    void aRequestThatTimesOutBeforeItsFirstTokenIsChargedItsPromptOnce() {
        QuotaUser user = QuotaUser.register(client());
        // One retry: both tries outwait the first-token timeout.
        upstream.enqueue(Script.tokens(5).firstTokenAfter(FIRST_TOKEN_TIMEOUT.multipliedBy(3)),
                Script.tokens(5).firstTokenAfter(FIRST_TOKEN_TIMEOUT.multipliedBy(3)));

        web.mutate().responseTimeout(Duration.ofSeconds(30)).build()
                .post().uri("/v1/chat/completions").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(400) + "\"}]}")
                .exchange().expectStatus().isEqualTo(504);

        assertThat(upstream.requests()).isEqualTo(2);
        assertThat(user.awaitSettled(web)).as("100 prompt tokens, once for the request, however many tries").isEqualTo(100);
    }

    @Test
    void whenNoTokensAreLeftTheCallerGets429WithRetryAfterAndTheRateLimitHeaders() {
        QuotaUser user = QuotaUser.register(client());
        user.limitTokens(0);

        quotaChat(user, "").expectStatus().isEqualTo(429)
                .expectHeader().exists(HttpHeaders.RETRY_AFTER)
                .expectHeader().exists("X-RateLimit-Limit")
                .expectHeader().exists("X-RateLimit-Remaining")
                .expectHeader().exists("X-RateLimit-Reset");
        assertThat(upstream.requests()).isZero();
    }

    private WebTestClient.ResponseSpec quotaChat(QuotaUser user, String fields) {
        return web.post().uri("/v1/chat/completions").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\"," + fields + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange();
    }

    /** A new account with its own token limit, set in the database as an admin would through the API. */
    private record QuotaUser(UUID id, String token) {

        private static final DatabaseClient DATABASE = DatabaseClient.create(
                ConnectionFactories.get(ExternalServices.get().r2dbcUrl()));

        static QuotaUser register(WebClient client) {
            String email = "quota-" + UUID.randomUUID() + "@example.com";
            Map<String, String> credentials = Map.of("email", email, "password", "quota test password");
            client.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON).bodyValue(credentials)
                    .retrieve().toBodilessEntity().block(Duration.ofSeconds(20));
            String token = SseEvents.json(client.post().uri("/api/v1/auth/login").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(credentials).retrieve().bodyToMono(String.class).block(Duration.ofSeconds(20)))
                    .path("access_token").asString();
            String claims = new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]));
            return new QuotaUser(UUID.fromString(SseEvents.json(claims).path("sub").asString()), token);
        }

        String bearer() {
            return "Bearer " + token;
        }

        void limitTokens(long dailyTokens) {
            DATABASE.sql("UPDATE users SET daily_tokens = :tokens WHERE id = :id").bind("tokens", dailyTokens).bind("id", id)
                    .fetch().rowsUpdated().block(Duration.ofSeconds(10));
        }

        /** The tokens used today once nothing is held any more. */
        long awaitSettled(WebTestClient web) {
            JsonNode[] tokens = new JsonNode[1];
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                tokens[0] = SseEvents.json(web.get().uri("/api/v1/quota").header(HttpHeaders.AUTHORIZATION, bearer())
                        .exchange().expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody()).path("tokens");
                assertThat(tokens[0].path("reserved").asLong()).as("settled").isZero();
            });
            return tokens[0].path("used").asLong();
        }
    }

    // --- 7. Model names are bounded ---------------------------------------------------------------------------
}
