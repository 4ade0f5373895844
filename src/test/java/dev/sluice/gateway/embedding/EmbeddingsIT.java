package dev.sluice.gateway.embedding;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import dev.sluice.bench.FakeUpstream;
import dev.sluice.bench.Script;
import dev.sluice.gateway.quota.TestAccounts;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code POST /v1/embeddings} through the whole gateway, against fake OpenAI-compatible upstreams on real sockets
 * that record the exact bodies they were sent: the pass-through, fallback, skipped targets, bad input, limits, the
 * daily quota and the demo simulator.
 */
@TestPropertySource(properties = {"sluice.auth.bootstrap-admin.email=" + EmbeddingsIT.ADMIN_EMAIL,
        "sluice.auth.bootstrap-admin.password=" + TestAccounts.PASSWORD})
class EmbeddingsIT extends IntegrationTest {

    static final String ADMIN_EMAIL = "embeddings-admin@admins.example";
    static final int MAX_INPUTS = 4;
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    static final FakeUpstream spare = FakeUpstream.start();

    @Autowired
    MeterRegistry meters;

    @DynamicPropertySource
    static void embeddingRoutes(DynamicPropertyRegistry registry) {
        registry.add("sluice.providers.spare.type", () -> "openai");
        registry.add("sluice.providers.spare.base-url", spare::baseUrl);
        registry.add("sluice.providers.spare.api-keys", () -> "spare-key");
        registry.add("sluice.providers.spare.models", () -> "*");
        // Anthropic offers no embeddings; it is never called here (its base URL is a fake's, for the status probe).
        registry.add("sluice.providers.claude.type", () -> "anthropic");
        registry.add("sluice.providers.claude.base-url", spare::baseUrl);
        registry.add("sluice.providers.claude.api-keys", () -> "claude-key");
        registry.add("sluice.providers.claude.models", () -> "claude-x");
        registry.add("sluice.aliases.embed.targets", () -> "fake/text-embedding-3-small");
        registry.add("sluice.aliases.sturdy.targets", () -> "fake/limited-embedding,spare/backup-embedding");
        registry.add("sluice.aliases.mixed.targets", () -> "claude/claude-x,fake/text-embedding-3-small");
        registry.add("sluice.aliases.talker.targets", () -> "claude/claude-x");
        registry.add("sluice.aliases.wide.targets", () -> "fake/wide-embedding,spare/wide-embedding");
        registry.add("sluice.embeddings.max-inputs", () -> Integer.toString(MAX_INPUTS));
        registry.add("sluice.embeddings.max-reply-bytes", () -> "4KB");
    }

    @BeforeEach
    void resetSpare() {
        spare.reset();
    }

    @AfterAll
    static void stopSpare() {
        spare.close();
    }

    @Test
    void aRequestGoesUpstreamAsSentButForItsModelAndComesBackInOpenAisShapeWithTheRoutingHeaders() {
        String request = "{\"model\":\"embed\",\"input\":[\"one two\",\"three\"],\"encoding_format\":\"float\","
                + "\"dimensions\":2,\"user\":\"user-7\",\"truncate\":\"END\"}";
        double tokensBefore = tokensIn("fake", "text-embedding-3-small");

        String reply = embed(request).expectStatus().isOk()
                .expectHeader().valueEquals("X-Sluice-Provider", "fake/text-embedding-3-small")
                .expectHeader().valueEquals("X-Sluice-Attempts", "1")
                .expectHeader().valueEquals("X-Sluice-Cache", "bypass")
                .expectHeader().exists("X-Sluice-Overhead-Ms")
                .expectHeader().exists("X-Request-ID")
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
                .expectBody(String.class).returnResult().getResponseBody();

        assertThat(upstream.requestBodies()).as("the body as sent, unknown fields included; only model rewritten")
                .containsExactly(request.replace("\"model\":\"embed\"", "\"model\":\"text-embedding-3-small\""));
        assertThat(upstream.apiKeys()).as("with the provider's key").containsExactly(FAKE_KEY);
        assertThat(reply).as("the upstream's data as it sent it; the model asked for; its usage")
                .isEqualTo("{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[1.0,1.25]},"
                        + "{\"object\":\"embedding\",\"index\":1,\"embedding\":[2.0,2.25]}],\"model\":\"embed\","
                        + "\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}");
        assertThat(tokensIn("fake", "text-embedding-3-small") - tokensBefore).as("tokens in, as the upstream counted them")
                .isEqualTo(3);
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(requestTimer("embed")).as("the request, timed by model")
                .isNotNull());
    }

    @Test
    void aRateLimitedFirstTargetFallsBackToTheNextAndSoDoesOneAnswering5xx() {
        upstream.enqueue(Script.status(429).retryAfter(Duration.ofSeconds(1)));

        embed("{\"model\":\"sturdy\",\"input\":\"hello\"}").expectStatus().isOk()
                .expectHeader().valueEquals("X-Sluice-Provider", "spare/backup-embedding")
                .expectHeader().valueEquals("X-Sluice-Attempts", "2");
        await().atMost(TIMEOUT).until(() -> {
            // The first key rests for its Retry-After; once it is back, the first target serves again.
            upstream.reset();
            embed("{\"model\":\"sturdy\",\"input\":\"hello\"}").expectStatus().isOk();
            return upstream.requests() == 1;
        });
        upstream.reset();
        spare.reset();
        upstream.enqueue(Script.status(503), Script.status(503));

        embed("{\"model\":\"sturdy\",\"input\":\"hello\"}").expectStatus().isOk()
                .expectHeader().valueEquals("X-Sluice-Provider", "spare/backup-embedding")
                .expectHeader().valueEquals("X-Sluice-Attempts", "3");

        assertThat(upstream.requests()).as("the 5xx was retried once, then the next target served").isEqualTo(2);
        assertThat(spare.requestBodies()).as("with the next target's own model")
                .containsExactly("{\"model\":\"backup-embedding\",\"input\":\"hello\"}");
    }

    @Test
    void aTargetOnAProviderWithoutEmbeddingsIsSkipped() {
        embed("{\"model\":\"mixed\",\"input\":\"hello\"}").expectStatus().isOk()
                .expectHeader().valueEquals("X-Sluice-Provider", "fake/text-embedding-3-small")
                .expectHeader().valueEquals("X-Sluice-Attempts", "1");
    }

    @Test
    void aModelWithNoTargetThatOffersEmbeddingsIsA400NamingItAndAnUnknownOneA404() {
        JsonNode offersNone = body(embed("{\"model\":\"talker\",\"input\":\"hello\"}").expectStatus().isBadRequest());
        JsonNode unknown = body(embed("{\"model\":\"no-such-model\",\"input\":\"hello\"}").expectStatus().isNotFound());

        assertThat(offersNone.at("/error/param").asString()).isEqualTo("model");
        assertThat(offersNone.at("/error/type").asString()).isEqualTo("invalid_request_error");
        assertThat(offersNone.at("/error/message").asString()).as("names the model, its targets and why")
                .contains("'talker'").contains("claude/claude-x (anthropic)");
        assertThat(unknown.at("/error/code").asString()).isEqualTo("model_not_found");
        assertThat(upstream.requests() + spare.requests()).isZero();
    }

    @Test
    void badInputIsA400NamingTheFieldAndNeverGoesUpstream() {
        Map<String, String> refusals = Map.of(
                "{\"model\":\"embed\"}", "input",
                "{\"model\":\"embed\",\"input\":[]}", "input",
                "{\"model\":\"embed\",\"input\":[\"a\",7]}", "input[1]",
                "{\"model\":\"embed\",\"input\":[[1,2],[-3]]}", "input[1][0]",
                "{\"model\":\"embed\",\"input\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", "input",
                "{\"model\":\"embed\",\"input\":\"a\",\"encoding_format\":\"hex\"}", "encoding_format",
                "{\"model\":\"embed\",\"input\":\"a\",\"dimensions\":0}", "dimensions",
                "{\"model\":\"embed\",\"input\":\"a\",\"user\":42}", "user",
                "{\"input\":\"a\"}", "model");

        refusals.forEach((request, field) -> {
            JsonNode error = body(embed(request).expectStatus().isBadRequest()).path("error");
            assertThat(error.path("param").asString()).as("the field named for %s", request).isEqualTo(field);
            assertThat(error.path("message").asString()).as("and in the message").startsWith(field + ": ");
        });
        assertThat(body(embed("{\"model\":\"embed\",\"input\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}").expectStatus().isBadRequest())
                .at("/error/message").asString()).isEqualTo("input: 5 inputs, over the limit of " + MAX_INPUTS);
        embed("[\"not an object\"]").expectStatus().isBadRequest();
        embed("{\"model\":").expectStatus().isBadRequest();
        assertThat(upstream.requests()).isZero();
    }

    @Test
    void aReplyLargerThanMaxReplyBytesIsA502AndNotTriedElsewhere() {
        JsonNode error = body(embed("{\"model\":\"wide\",\"input\":\"hello\",\"dimensions\":1000}")
                .expectStatus().isEqualTo(502));

        assertThat(error.at("/error/code").asString()).isEqualTo("reply_too_large");
        assertThat(error.at("/error/message").asString()).contains("sluice.embeddings.max-reply-bytes");
        assertThat(spare.requests()).as("another target's reply would be as large").isZero();
    }

    @Test
    void theDailyQuotaCountsTheRequestAndSettlesToThePromptTokensTheProviderReported() {
        TestAccounts.Account admin = TestAccounts.registerOrLogin(baseUrl(), ADMIN_EMAIL);
        TestAccounts.Account user = TestAccounts.register(baseUrl());
        setLimits(admin, user.id(), "{\"daily_requests\":10,\"daily_tokens\":1000}");

        web.post().uri("/v1/embeddings").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"embed\",\"input\":[\"alpha beta gamma\",\"delta epsilon\"]}")
                .exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.usage.prompt_tokens").isEqualTo(5);

        await().atMost(TIMEOUT).untilAsserted(() -> {
            JsonNode quota = quota(user.bearer());
            assertThat(quota.at("/tokens/reserved").asLong()).as("settled").isZero();
            assertThat(quota.at("/tokens/used").asLong())
                    .as("the 5 words the provider counted, not the 8 tokens Sluice estimated").isEqualTo(5);
            assertThat(quota.at("/requests/used").asLong()).isEqualTo(1);
        });
    }

    @Test
    void anInputThatDoesNotFitTheTokenQuotaIs429AndNeverReachesTheProvider() {
        TestAccounts.Account admin = TestAccounts.registerOrLogin(baseUrl(), ADMIN_EMAIL);
        TestAccounts.Account user = TestAccounts.register(baseUrl());
        setLimits(admin, user.id(), "{\"daily_requests\":10,\"daily_tokens\":20}");

        JsonNode refused = body(web.post().uri("/v1/embeddings").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"embed\",\"input\":\"" + "x".repeat(400) + "\"}")
                .exchange().expectStatus().isEqualTo(429).expectHeader().exists(HttpHeaders.RETRY_AFTER));

        assertThat(refused.at("/error/message").asString()).startsWith("Daily token quota exceeded");
        assertThat(upstream.requests()).isZero();
    }

    @Test
    void anApiKeyInXApiKeyEmbedsAsItsOwnerAndIsChargedToThem() {
        TestAccounts.Account user = TestAccounts.register(baseUrl());
        String key = body(web.post().uri("/api/v1/keys").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("name", "rag-indexer"))
                .exchange().expectStatus().isCreated()).path("key").asString();

        web.post().uri("/v1/embeddings").header("x-api-key", key).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"embed\",\"input\":\"hello\"}").exchange().expectStatus().isOk();

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(quota(user.bearer()).at("/requests/used").asLong())
                .as("the key's owner made the request").isEqualTo(1));
    }

    @Test
    void theDemoSimulatorEmbedsWithoutAnyProviderDeterministically() {
        String request = "{\"model\":\"demo\",\"input\":[\"the cat sat\",\"the cat sat\",\"stock prices fell\"]}";

        JsonNode first = body(embed(request).expectStatus().isOk()
                .expectHeader().valueEquals("X-Sluice-Provider", "demo/sluice-demo"));
        JsonNode again = body(embed(request).expectStatus().isOk());

        assertThat(first.path("data")).hasSize(3);
        assertThat(first.at("/data/0/embedding")).as("the default dimensions").hasSize(DemoEmbeddings.DEFAULT_DIMENSIONS);
        assertThat(first.at("/data/1/embedding")).as("the same text, the same vector").isEqualTo(first.at("/data/0/embedding"));
        assertThat(again).as("on every request").isEqualTo(first);
        assertThat(first.at("/usage/prompt_tokens").asInt()).as("Sluice's estimate: 39 characters").isEqualTo(10);
        assertThat(upstream.requests()).isZero();
    }

    private WebTestClient.ResponseSpec embed(String json) {
        return web.post().uri("/v1/embeddings").contentType(MediaType.APPLICATION_JSON).bodyValue(json).exchange();
    }

    private void setLimits(TestAccounts.Account admin, UUID user, String json) {
        web.put().uri("/api/v1/admin/users/{id}/quota", user).header(HttpHeaders.AUTHORIZATION, admin.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(json).exchange().expectStatus().isOk();
    }

    private double tokensIn(String provider, String model) {
        Counter counter = meters.find("sluice.tokens").tags("provider", provider, "model", model, "direction", "in").counter();
        return counter == null ? 0 : counter.count();
    }

    private Timer requestTimer(String model) {
        return meters.find("http.server.requests").tags("uri", "/v1/embeddings", "model", model, "status", "200").timer();
    }

    private String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    private static JsonNode body(WebTestClient.ResponseSpec response) {
        return SseEvents.json(new String(response.expectBody().returnResult().getResponseBodyContent(), StandardCharsets.UTF_8));
    }
}
