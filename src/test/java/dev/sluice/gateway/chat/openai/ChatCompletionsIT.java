package dev.sluice.gateway.chat.openai;

import java.time.Duration;
import java.util.List;

import dev.sluice.bench.Script;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import reactor.core.Disposable;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ChatCompletionsIT extends IntegrationTest {

    private static final String STREAM = """
            {"model":"fake","stream":true,"stream_options":{"include_usage":true},
             "messages":[{"role":"user","content":"Say hello"}]}""";
    private static final String NO_STREAM = """
            {"model":"fake","messages":[{"role":"user","content":"Say hello"}]}""";

    @Test
    void aStreamArrivesAsOpenAiChunksWithUsageThenDone() {
        upstream.enqueue(Script.text("Hello", " world"));

        EntityExchangeResult<List<ServerSentEvent<String>>> result = post(STREAM)
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_EVENT_STREAM)
                .expectHeader().valueEquals("Cache-Control", "no-cache")
                .expectHeader().valueEquals("X-Accel-Buffering", "no")
                .expectHeader().valueEquals("X-Sluice-Provider", "fake/fake-model")
                .expectHeader().exists("X-Request-ID")
                .expectBodyList(SseEvents.TYPE).returnResult();

        List<ServerSentEvent<String>> events = SseEvents.withData(result.getResponseBody());
        assertThat(events).as("two tokens, the finish, the usage, then [DONE]").hasSize(5);
        JsonNode first = SseEvents.json(events.get(0));
        assertThat(first.path("object").asString()).isEqualTo("chat.completion.chunk");
        assertThat(first.path("model").asString()).as("the model as the caller named it").isEqualTo("fake");
        assertThat(first.at("/choices/0/delta/role").asString()).isEqualTo("assistant");
        assertThat(first.at("/choices/0/delta/content").asString()).isEqualTo("Hello");
        assertThat(SseEvents.json(events.get(1)).at("/choices/0/delta/content").asString()).isEqualTo(" world");
        assertThat(SseEvents.json(events.get(2)).at("/choices/0/finish_reason").asString()).isEqualTo("stop");
        JsonNode usage = SseEvents.json(events.get(3));
        assertThat(usage.path("choices").size()).as("OpenAI's usage chunk has no choices").isZero();
        assertThat(usage.at("/usage/completion_tokens").asInt()).isEqualTo(2);
        assertThat(events.get(4).data()).isEqualTo("[DONE]");
        assertThat(upstream.apiKeys()).as("the provider's key went upstream").containsExactly(FAKE_KEY);
    }

    @Test
    void withoutStreamTheReplyIsOneChatCompletion() {
        upstream.enqueue(Script.text("Hello", " world"));

        post(NO_STREAM)
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
                .expectHeader().valueEquals("X-Sluice-Provider", "fake/fake-model")
                .expectHeader().valueEquals("X-Sluice-Attempts", "1")
                .expectHeader().value("X-Sluice-Overhead-Ms", overhead -> assertThat(Double.parseDouble(overhead))
                        .as("time in the gateway, upstream waiting excluded").isBetween(0.0, 1000.0))
                .expectBody()
                .jsonPath("$.object").isEqualTo("chat.completion")
                .jsonPath("$.choices[0].message.role").isEqualTo("assistant")
                .jsonPath("$.choices[0].message.content").isEqualTo("Hello world")
                .jsonPath("$.choices[0].finish_reason").isEqualTo("stop")
                .jsonPath("$.usage.completion_tokens").isEqualTo(2);

        assertThat(SseEvents.json(upstream.requestBodies().get(0)).path("stream").booleanValue())
                .as("streamed from the provider, so that a silent one is left after the first-token timeout")
                .isTrue();
    }

    @Test
    void toolsGoUpstreamUnchangedAndToolCallsComeBack() {
        upstream.enqueue(Script.toolCall("get_weather", "{\"city\":\"Paris\"}"));

        post("""
                {"model":"fake","messages":[{"role":"user","content":"Weather in Paris?"}],
                 "tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather",
                   "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],
                 "tool_choice":{"type":"function","function":{"name":"get_weather"}}}""")
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.choices[0].finish_reason").isEqualTo("tool_calls")
                .jsonPath("$.choices[0].message.tool_calls[0].type").isEqualTo("function")
                .jsonPath("$.choices[0].message.tool_calls[0].function.name").isEqualTo("get_weather")
                .jsonPath("$.choices[0].message.tool_calls[0].function.arguments").isEqualTo("{\"city\":\"Paris\"}");

        JsonNode sent = SseEvents.json(upstream.requestBodies().get(0));
        assertThat(sent.at("/tools/0/function/name").asString()).isEqualTo("get_weather");
        assertThat(sent.at("/tools/0/function/parameters/required/0").asString()).as("the schema passes through").isEqualTo("city");
        assertThat(sent.at("/tool_choice/function/name").asString()).isEqualTo("get_weather");
        assertThat(sent.path("model").asString()).as("the provider's own model name").isEqualTo("fake-model");
    }

    @Test
    void aStreamThatBreaksMidWayEndsWithAnErrorAndNoDone() {
        upstream.enqueue(Script.tokens(6).dropAfter(2));

        List<ServerSentEvent<String>> events = SseEvents.withData(post(STREAM)
                .expectStatus().isOk()
                .expectBodyList(SseEvents.TYPE).returnResult().getResponseBody());

        assertThat(events).hasSize(3);
        assertThat(SseEvents.json(events.get(1)).at("/choices/0/delta/content").asString()).isEqualTo("tok1 ");
        JsonNode error = SseEvents.json(events.get(2));
        assertThat(error.at("/error/code").asString()).isEqualTo("stream_broken");
        assertThat(events).as("a broken stream must not look finished")
                .noneMatch(event -> "[DONE]".equals(event.data()));
    }

    @Test
    void anUpstreamFailureBeforeTheFirstTokenIsAPlainHttpError() {
        upstream.enqueue(Script.status(500), Script.status(500));

        post(STREAM)
                .expectStatus().isEqualTo(502)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
                .expectBody()
                .jsonPath("$.error.code").isEqualTo("upstream_failed")
                .jsonPath("$.error.type").isEqualTo("api_error");
    }

    @Test
    void anUpstreamThatRefusesTheRequestAnswers400WithItsReason() {
        upstream.enqueue(Script.status(400, "max_tokens is too large"));

        post(NO_STREAM)
                .expectStatus().isBadRequest()
                .expectBody()
                .jsonPath("$.error.code").isEqualTo("upstream_rejected")
                .jsonPath("$.error.message").value(message -> assertThat((String) message).contains("max_tokens is too large"));
    }

    @Test
    void anUpstreamThatStaysSilentTimesOutWith504() {
        Script silent = Script.tokens(3).firstTokenAfter(Duration.ofSeconds(20));
        upstream.enqueue(silent, silent);
        // Heartbeats are due before the timeout, yet none may commit the response before the first token.
        assertThat(HEARTBEAT).isLessThan(FIRST_TOKEN_TIMEOUT);

        post(STREAM)
                .expectStatus().isEqualTo(504)
                .expectHeader().valueEquals("X-Sluice-Attempts", "2")
                .expectBody().jsonPath("$.error.code").isEqualTo("upstream_timeout");
    }

    @Test
    void aHeartbeatCommentKeepsTheStreamAliveWhileTheUpstreamPauses() {
        upstream.enqueue(Script.text("early", " late").every(HEARTBEAT.multipliedBy(3)));

        List<ServerSentEvent<String>> events = post(STREAM).expectStatus().isOk()
                .expectBodyList(SseEvents.TYPE).returnResult().getResponseBody();

        int early = indexOfData(events, "early");
        int late = indexOfData(events, " late");
        assertThat(events.subList(early + 1, late)).as("comments between the two tokens")
                .isNotEmpty()
                .allSatisfy(event -> assertThat(event.comment()).isEqualTo("keep-alive"));
    }

    @Test
    void aClientThatHangsUpMidStreamCancelsTheUpstreamCall() {
        upstream.enqueue(Script.tokens(200).every(Duration.ofMillis(20)));

        Disposable client = stream(STREAM).take(3).subscribe();

        await().atMost(Duration.ofSeconds(2)).until(client::isDisposed);
        await().atMost(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(upstream.cancelledStreams()).as("the upstream saw the hang-up").isEqualTo(1));
    }

    @Test
    void aClientThatHangsUpBeforeTheFirstTokenCancelsTheUpstreamCall() {
        upstream.enqueue(Script.tokens(3).firstTokenAfter(Duration.ofSeconds(20)));

        Disposable client = stream(STREAM).subscribe();
        await().atMost(Duration.ofSeconds(2)).until(() -> upstream.requests() == 1);
        client.dispose();

        await().atMost(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(upstream.cancelledStreams()).isEqualTo(1));
    }

    @Test
    void aClientThatHangsUpOnANonStreamingRequestCancelsTheUpstreamCall() {
        upstream.enqueue(Script.tokens(200).every(Duration.ofMillis(20)));

        Disposable client = stream(NO_STREAM).subscribe();
        await().atMost(Duration.ofSeconds(2)).until(() -> upstream.requests() == 1);
        client.dispose();

        await().atMost(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(upstream.cancelledStreams()).isEqualTo(1));
    }

    private static int indexOfData(List<ServerSentEvent<String>> events, String content) {
        for (int i = 0; i < events.size(); i++) {
            String data = events.get(i).data();
            if (data != null && !data.equals("[DONE]") && content.equals(SseEvents.json(data).at("/choices/0/delta/content").asString(null))) {
                return i;
            }
        }
        throw new AssertionError("no token '" + content + "' in " + events);
    }

    private org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec post(String body) {
        return web.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    private reactor.core.publisher.Flux<String> stream(String body) {
        return client().post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                .retrieve().bodyToFlux(String.class);
    }
}
