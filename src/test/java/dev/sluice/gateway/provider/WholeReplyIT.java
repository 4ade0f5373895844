package dev.sluice.gateway.provider;

import dev.sluice.bench.Script;
import dev.sluice.gateway.testing.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A caller that does not stream has the upstream asked for one whole reply, through the whole gateway against the
 * fake upstream on a real socket: what goes upstream, what comes back, and the timeouts that hold for it.
 */
class WholeReplyIT extends IntegrationTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String NO_STREAM = """
            {"model":"fake","messages":[{"role":"user","content":"Say hello"}]}""";

    @Test
    void aCallerThatDoesNotStreamIsAnsweredFromOneWholeUpstreamReply() {
        upstream.enqueue(Script.text("Hello", " world"));

        post("/v1/chat/completions", NO_STREAM).expectStatus().isOk()
                .expectBody()
                .jsonPath("$.object").isEqualTo("chat.completion")
                .jsonPath("$.choices[0].message.content").isEqualTo("Hello world")
                .jsonPath("$.choices[0].finish_reason").isEqualTo("stop")
                .jsonPath("$.usage.completion_tokens").isEqualTo(2);

        JsonNode sent = JSON.readTree(upstream.requestBodies().get(0));
        assertThat(sent.path("stream").isBoolean()).as("asked for in so many words").isTrue();
        assertThat(sent.path("stream").booleanValue()).as("one body rather than an event per token").isFalse();
        assertThat(sent.has("stream_options")).isFalse();
    }

    @Test
    void theNativeApiAsksForAWholeReplyOnlyWhenItsCallerSaysStreamFalse() {
        upstream.enqueue(Script.text("Bonjour"), Script.text("Salut"));

        post("/api/v1/chat", "{\"model\":\"fake\",\"prompt\":\"Hi\",\"stream\":false}").expectStatus().isOk()
                .expectBody().jsonPath("$.text").isEqualTo("Bonjour");
        post("/api/v1/chat", "{\"model\":\"fake\",\"prompt\":\"Hi\"}").expectStatus().isOk();

        assertThat(upstream.requestBodies()).extracting(body -> JSON.readTree(body).path("stream").booleanValue())
                .as("the native API streams unless told not to").containsExactly(false, true);
    }

    @Test
    void aWholeReplySlowerThanTheFirstTokenAndIdleTimeoutsIsServedNotRetried() {
        upstream.enqueue(Script.tokens(3).firstTokenAfter(FIRST_TOKEN_TIMEOUT.multipliedBy(2)));

        post("/v1/chat/completions", NO_STREAM).expectStatus().isOk()
                .expectBody().jsonPath("$.choices[0].message.content").isEqualTo("tok0 tok1 tok2 ");

        assertThat(upstream.requests()).as("a whole reply says nothing until it is complete: only the total timeout"
                + " bounds it").isEqualTo(1);
    }

    @Test
    void anErrorBodyIsAFailedCallRetriedSinceNothingReachedTheCaller() {
        upstream.enqueue(Script.tokens(4).midStreamError(2, "The model is overloaded"), Script.text("Recovered"));

        post("/v1/chat/completions", NO_STREAM).expectStatus().isOk()
                .expectHeader().valueEquals("X-Sluice-Attempts", "2")
                .expectBody().jsonPath("$.choices[0].message.content").isEqualTo("Recovered");
    }

    @Test
    void aWholeReplyThatKeepsFailingIsA502NeverAPartialAnswer() {
        Script broken = Script.tokens(4).midStreamError(2, "The model is overloaded");
        upstream.enqueue(broken, broken);

        post("/v1/chat/completions", NO_STREAM).expectStatus().isEqualTo(502)
                .expectBody().jsonPath("$.error.code").isEqualTo("upstream_failed");
    }

    private WebTestClient.ResponseSpec post(String path, String body) {
        return web.post().uri(path).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }
}
