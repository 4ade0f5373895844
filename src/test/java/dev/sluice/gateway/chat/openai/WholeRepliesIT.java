package dev.sluice.gateway.chat.openai;

import java.util.List;

import dev.sluice.bench.Script;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/** A provider that says {@code whole-replies}: callers that do not stream are answered from one whole reply. */
@TestPropertySource(properties = "sluice.providers.fake.whole-replies=true")
class WholeRepliesIT extends IntegrationTest {

    private static final String NO_STREAM = """
            {"model":"fake","messages":[{"role":"user","content":"Say hello"}]}""";
    private static final String STREAM = """
            {"model":"fake","stream":true,"messages":[{"role":"user","content":"Say hello"}]}""";

    @Test
    void aCallerThatDoesNotStreamIsAnsweredFromTheWholeReplyTheProviderWasAskedFor() {
        upstream.enqueue(Script.text("Hello", " world"));

        post(NO_STREAM)
                .expectStatus().isOk()
                .expectHeader().valueEquals("X-Sluice-Provider", "fake/fake-model")
                .expectBody()
                .jsonPath("$.object").isEqualTo("chat.completion")
                .jsonPath("$.model").isEqualTo("fake")
                .jsonPath("$.choices[0].message.content").isEqualTo("Hello world")
                .jsonPath("$.choices[0].finish_reason").isEqualTo("stop")
                .jsonPath("$.usage.completion_tokens").isEqualTo(2);

        JsonNode sent = SseEvents.json(upstream.requestBodies().get(0));
        assertThat(sent.path("stream").booleanValue()).as("asked for whole").isFalse();
        assertThat(sent.has("stream_options")).isFalse();
    }

    @Test
    void aWholeReplyThatTakesLongerThanTheFirstTokenTimeoutIsServed() {
        upstream.enqueue(Script.text("slow", " but whole").firstTokenAfter(FIRST_TOKEN_TIMEOUT.plusMillis(500)));

        post(NO_STREAM)
                .expectStatus().isOk()
                .expectHeader().valueEquals("X-Sluice-Attempts", "1")
                .expectBody()
                .jsonPath("$.choices[0].message.content").isEqualTo("slow but whole");
    }

    @Test
    void aStreamingCallerIsStillStreamedFromTheProvider() {
        upstream.enqueue(Script.text("Hello", " world"));

        List<ServerSentEvent<String>> events = SseEvents.withData(post(STREAM)
                .expectStatus().isOk()
                .expectBodyList(SseEvents.TYPE).returnResult().getResponseBody());

        assertThat(events.get(0).data()).contains("\"content\":\"Hello\"");
        assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
        assertThat(SseEvents.json(upstream.requestBodies().get(0)).path("stream").booleanValue()).isTrue();
    }

    @Test
    void aProviderErrorBeforeTheWholeReplyIsRetriedThenAnswered() {
        upstream.enqueue(Script.status(500), Script.text("second try"));

        post(NO_STREAM)
                .expectStatus().isOk()
                .expectHeader().valueEquals("X-Sluice-Attempts", "2")
                .expectBody()
                .jsonPath("$.choices[0].message.content").isEqualTo("second try");
    }

    private WebTestClient.ResponseSpec post(String body) {
        return web.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }
}
