package dev.sluice.gateway.auth.apikey;

import java.time.Duration;
import java.time.Instant;

import dev.sluice.gateway.quota.TestAccounts;
import dev.sluice.gateway.testing.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** API keys with a scope (issue 16): their models, rates and expiry, changed by PATCH, and the end users of a key. */
@TestPropertySource(properties = {"sluice.aliases.other.targets=fake/fake-model", "sluice.auth.end-users.enabled=true",
        "sluice.limits.per-end-user.requests-per-minute=2"})
class ScopedKeysIT extends IntegrationTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    private TestAccounts.Account user;

    @BeforeEach
    void account() {
        user = TestAccounts.register(baseUrl());
    }

    @Test
    void aKeyScopedToOneAliasIsRefusedAnotherOnEveryApiWith403NamingItsModels() {
        String key = createKey("{\"name\":\"app\",\"models\":[\"fake\"]}").path("key").asString();

        JsonNode openAi = body(post(key, "/v1/chat/completions", CHAT.formatted("other")).expectStatus().isForbidden());
        assertThat(openAi.at("/error/message").asString()).as("names the model and the key's scope")
                .contains("'other'").contains("not in this API key's models [fake]");
        assertThat(openAi.at("/error/param").asString()).isEqualTo("model");
        JsonNode problem = body(post(key, "/api/v1/chat", "{\"model\":\"other\",\"stream\":false,\"prompt\":\"Hi\"}")
                .expectStatus().isForbidden());
        assertThat(problem.path("detail").asString()).contains("not in this API key's models [fake]");
        post(key, "/v1/messages", "{\"model\":\"other\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .expectStatus().isForbidden();
        post(key, "/v1/embeddings", "{\"model\":\"other\",\"input\":\"Hi\"}").expectStatus().isForbidden();
        assertThat(upstream.requests()).as("refused before anything goes upstream").isZero();

        post(key, "/v1/chat/completions", CHAT.formatted("fake")).expectStatus().isOk();
    }

    @Test
    void theModelListsShowOnlyWhatTheKeyMayUse() {
        String scoped = createKey("{\"models\":[\"other\"]}").path("key").asString();
        String unscoped = createKey("{}").path("key").asString();

        assertThat(body(get(scoped, "/v1/models")).findValuesAsString("id")).as("OpenAI's list").containsExactly("other");
        assertThat(body(get(scoped, "/api/v1/models")).toString()).contains("\"other\"").doesNotContain("\"fake\"");
        assertThat(body(get(unscoped, "/v1/models")).findValuesAsString("id")).as("an unscoped key sees every alias")
                .contains("fake", "other");
    }

    @Test
    void anExpiredKeyIsRefusedWith401SayingItExpired() {
        String key = createKey("{\"expires_at\":\"" + Instant.now().plusSeconds(2) + "\"}").path("key").asString();
        post(key, "/v1/chat/completions", CHAT.formatted("fake")).expectStatus().isOk();

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode refused = body(post(key, "/v1/chat/completions", CHAT.formatted("fake")).expectStatus().isUnauthorized());
            assertThat(refused.at("/error/message").asString()).startsWith("The API key expired at");
        });
    }

    @Test
    void aKeyOverItsOwnRequestsPerMinuteGets429WhileTheAccountsOtherKeyStillWorks() {
        String limited = createKey("{\"requests_per_minute\":2}").path("key").asString();
        String other = createKey("{}").path("key").asString();
        post(limited, "/v1/chat/completions", CHAT.formatted("fake")).expectStatus().isOk()
                .expectHeader().valueEquals("X-RateLimit-Limit", "2");
        post(limited, "/v1/chat/completions", CHAT.formatted("fake")).expectStatus().isOk();

        JsonNode refused = body(post(limited, "/v1/chat/completions", CHAT.formatted("fake")).expectStatus().isEqualTo(429)
                .expectHeader().exists(HttpHeaders.RETRY_AFTER)
                .expectHeader().valueEquals("X-RateLimit-Limit", "2")
                .expectHeader().valueEquals("X-RateLimit-Remaining", "0")
                .expectHeader().exists("X-RateLimit-Reset"));
        assertThat(refused.at("/error/message").asString()).contains("API key's limit of 2 requests per minute");

        post(other, "/v1/chat/completions", CHAT.formatted("fake")).expectStatus().isOk();
        assertThat(upstream.requests()).isEqualTo(3);
    }

    @Test
    void aKeyOverItsOwnTokensPerMinuteGets429BeforeTheCall() {
        String key = createKey("{\"tokens_per_minute\":100}").path("key").asString();
        post(key, "/v1/chat/completions", CHAT.formatted("fake")).expectStatus().isOk();

        // Over the key's size, an estimate needs the whole budget, which the first call's tokens still hold.
        JsonNode refused = body(post(key, "/v1/chat/completions", "{\"model\":\"fake\",\"max_tokens\":200,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}").expectStatus().isEqualTo(429)
                .expectHeader().exists(HttpHeaders.RETRY_AFTER));
        assertThat(refused.at("/error/message").asString()).contains("API key's limit of 100 tokens per minute");
        assertThat(upstream.requests()).as("the second call's estimate did not fit").isEqualTo(1);
    }

    @Test
    void aKeysTokensAreSettledToWhatCallsUsedSoCallsFarBelowTheirCapFitMoreThanTheirEstimates() {
        String key = createKey("{\"tokens_per_minute\":100}").path("key").asString();
        // Each asks for up to 60 tokens and gets 8 short ones: charged 61, settled to about 10.
        String asking60 = "{\"model\":\"fake\",\"max_tokens\":60,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        post(key, "/v1/chat/completions", asking60).expectStatus().isOk();

        for (int call = 2; call <= 4; call++) {
            // Unsettled, the 39 tokens left would take 13 s of refill to fit the next 61; a refused try costs nothing.
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                    .until(() -> post(key, "/v1/chat/completions", asking60).returnResult(String.class).getStatus().value() == 200);
        }

        assertThat(upstream.requests()).as("four calls of 61 estimated tokens within a minute of 100").isEqualTo(4);
    }

    @Test
    void aPatchChangesTheScopeAtOnceAndAnExplicitNullClearsIt() {
        JsonNode created = createKey("{\"models\":[\"other\"],\"label\":\"before\"}");
        String key = created.path("key").asString();
        String id = created.path("id").asString();
        post(key, "/v1/chat/completions", CHAT.formatted("fake")).expectStatus().isForbidden();

        JsonNode patched = body(patch(id, "{\"models\":[\"fake\"],\"requests_per_minute\":5}").expectStatus().isOk());
        assertThat(patched.path("label").asString()).as("absent fields are unchanged").isEqualTo("before");
        assertThat(patched.path("requests_per_minute").asInt()).isEqualTo(5);
        post(key, "/v1/chat/completions", CHAT.formatted("fake")).expectStatus().isOk();
        post(key, "/v1/chat/completions", CHAT.formatted("other")).expectStatus().isForbidden();

        body(patch(id, "{\"models\":null,\"label\":null}").expectStatus().isOk());
        post(key, "/v1/chat/completions", CHAT.formatted("other")).expectStatus().isOk();
        JsonNode listed = body(web.get().uri("/api/v1/keys").header(HttpHeaders.AUTHORIZATION, user.bearer()).exchange()
                .expectStatus().isOk()).path("items").get(0);
        assertThat(listed.path("id").asString()).isEqualTo(id);
        assertThat(listed.path("models").isNull()).as("cleared: any model").isTrue();
        assertThat(listed.path("label").isNull()).isTrue();
        assertThat(listed.path("requests_per_minute").asInt()).isEqualTo(5);
    }

    @Test
    void theBudgetFieldsAreStoredAndShown() {
        JsonNode created = createKey("{\"budget_usd\":12.5,\"budget_period\":\"daily\",\"label\":\"nightly batch\"}");
        assertThat(created.path("key").asString()).startsWith(ApiKeys.PREFIX);
        assertThat(created.path("budget_usd").decimalValue()).isEqualByComparingTo("12.5");
        assertThat(created.path("budget_period").asString()).isEqualTo("daily");
        assertThat(created.path("label").asString()).isEqualTo("nightly batch");

        JsonNode cleared = body(patch(created.path("id").asString(), "{\"budget_usd\":null}").expectStatus().isOk());
        assertThat(cleared.path("budget_usd").isNull()).isTrue();
        assertThat(cleared.path("budget_period").isNull()).as("goes with the budget").isTrue();
    }

    @Test
    void twoEndUsersOfOneKeyAreLimitedSeparately() {
        String key = createKey("{}").path("key").asString();
        endUserChat(key, "alice").expectStatus().isOk();
        endUserChat(key, "alice").expectStatus().isOk();

        JsonNode refused = body(endUserChat(key, "alice").expectStatus().isEqualTo(429).expectHeader().exists(HttpHeaders.RETRY_AFTER));
        assertThat(refused.at("/error/message").asString()).contains("per-end-user limit of 2 requests per minute");

        endUserChat(key, "bob").expectStatus().isOk();
        post(key, "/v1/chat/completions", "{\"model\":\"fake\",\"user\":\"carol\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .expectStatus().isOk();
        web.post().uri("/v1/chat/completions").header(HttpHeaders.AUTHORIZATION, "Bearer " + key).header("X-Sluice-End-User", "bob")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"user\":\"alice\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange().expectStatus().isOk(); // the header wins over the body's user
    }

    @Test
    void badFieldsAre400sNamingTheField() {
        assertInvalid("{\"models\":\"fake\"}", "models");
        assertInvalid("{\"models\":[]}", "models");
        assertInvalid("{\"models\":[\"two words\"]}", "models");
        assertInvalid("{\"requests_per_minute\":0}", "requests_per_minute");
        assertInvalid("{\"tokens_per_minute\":1.5}", "tokens_per_minute");
        assertInvalid("{\"budget_usd\":10}", "budget_period");
        assertInvalid("{\"budget_usd\":-1,\"budget_period\":\"daily\"}", "budget_usd");
        assertInvalid("{\"budget_usd\":1,\"budget_period\":\"weekly\"}", "budget_period");
        assertInvalid("{\"expires_at\":\"tomorrow\"}", "expires_at");
        assertInvalid("{\"expires_at\":\"2020-01-01T00:00:00Z\"}", "expires_at");
        assertInvalid("{\"label\":\"" + "x".repeat(501) + "\"}", "label");
        assertInvalid("{\"budget\":5}", "budget");

        String key = createKey("{}").path("key").asString();
        JsonNode endUser = body(endUserChat(key, "x".repeat(257)).expectStatus().isBadRequest());
        assertThat(endUser.at("/error/param").asString()).isEqualTo("X-Sluice-End-User");
        JsonNode unknownKey = body(patch("00000000-0000-0000-0000-000000000001", "{\"label\":\"x\"}").expectStatus().isNotFound());
        assertThat(unknownKey.path("detail").asString()).contains("No API key");
    }

    private void assertInvalid(String body, String field) {
        JsonNode problem = body(web.post().uri("/api/v1/keys").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange().expectStatus().isBadRequest());
        assertThat(problem.path("detail").asString()).as(body).startsWith(field + ": ");
    }

    private JsonNode createKey(String body) {
        return body(web.post().uri("/api/v1/keys").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange().expectStatus().isCreated());
    }

    private WebTestClient.ResponseSpec patch(String id, String body) {
        return web.patch().uri("/api/v1/keys/" + id).header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    private WebTestClient.ResponseSpec endUserChat(String key, String endUser) {
        return web.post().uri("/v1/chat/completions").header(HttpHeaders.AUTHORIZATION, "Bearer " + key)
                .header("X-Sluice-End-User", endUser).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(CHAT.formatted("fake")).exchange();
    }

    private WebTestClient.ResponseSpec post(String key, String path, String body) {
        return web.post().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + key).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body).exchange();
    }

    private WebTestClient.ResponseSpec get(String key, String path) {
        return web.get().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + key).exchange().expectStatus().isOk();
    }

    private static JsonNode body(WebTestClient.ResponseSpec response) {
        byte[] bytes = response.expectBody().returnResult().getResponseBody();
        return JSON.readTree(bytes == null ? new byte[0] : bytes);
    }

    private String baseUrl() {
        return "http://127.0.0.1:" + port;
    }
}
