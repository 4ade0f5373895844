package dev.sluice.gateway.status;

import java.time.Duration;
import java.util.List;

import dev.sluice.gateway.testing.IntegrationTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The provider {@code fake} is configured with {@code models: ["*"]}: both model lists show the models the fake
 * upstream lists itself, as of the last fetch, and a failed fetch leaves them as they were.
 */
class UpstreamModelListsIT extends IntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Autowired
    private UpstreamModelLists lists;

    /** The tests after this one share its context: they find the fake's default list again. */
    @AfterEach
    void restoreDefaultList() {
        upstream.reset();
        lists.refresh().block(TIMEOUT);
    }

    @Test
    void bothListsShowTheStarProvidersOwnModelsAfterTheAliasesAndFollowAChangeAtTheNextRefresh() {
        await("the fetch at startup, in the background").atMost(TIMEOUT)
                .until(() -> openAiIds().contains("fake/fake-model"));
        assertThat(openAiIds()).as("aliases before direct models").containsSubsequence("fake", "fake/fake-model");

        upstream.listModels("llama-3.1-8b-instant", "qwen2.5:7b");
        lists.refresh().block(TIMEOUT);

        assertThat(openAiIds()).contains("fake/llama-3.1-8b-instant", "fake/qwen2.5:7b").doesNotContain("fake/fake-model");
        assertThat(nativeIds()).contains("fake/llama-3.1-8b-instant", "fake/qwen2.5:7b").doesNotContain("fake/fake-model");
        JsonNode entry = entry("fake/qwen2.5:7b");
        assertThat(entry.path("object").asString()).isEqualTo("model");
        assertThat(entry.path("owned_by").asString()).as("the provider's, like any direct model").isEqualTo("fake");
        assertThat(entry.has("description")).as("only the simulator carries a description").isFalse();
        assertThat(entry("demo/sluice-demo").path("description").asString()).as("the simulator stays labelled")
                .contains("simulator");
        assertThat(upstream.modelListKeys()).as("asked with the provider's key").contains(FAKE_KEY);
    }

    @Test
    void aFailedRefreshKeepsTheLastListAndTheEndpointsAnswer() {
        upstream.listModels("kept-model");
        lists.refresh().block(TIMEOUT);

        upstream.failModelList(true);
        lists.refresh().block(TIMEOUT);

        assertThat(openAiIds()).as("a 503 from the upstream keeps what it last listed").contains("fake/kept-model");
        assertThat(nativeIds()).contains("fake/kept-model");
    }

    private List<String> openAiIds() {
        return ids(get("/v1/models").path("data"));
    }

    private List<String> nativeIds() {
        return ids(get("/api/v1/models").path("items"));
    }

    private JsonNode entry(String id) {
        for (JsonNode entry : get("/v1/models").path("data")) {
            if (entry.path("id").asString().equals(id)) {
                return entry;
            }
        }
        throw new AssertionError(id + " is not listed");
    }

    private JsonNode get(String uri) {
        byte[] body = web.get().uri(uri).exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody();
        return JSON.readTree(body);
    }

    private static List<String> ids(JsonNode entries) {
        return entries.valueStream().map(entry -> entry.path("id").asString()).toList();
    }
}
