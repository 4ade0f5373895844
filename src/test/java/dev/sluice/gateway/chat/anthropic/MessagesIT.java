package dev.sluice.gateway.chat.anthropic;

import java.time.Duration;
import java.util.List;

import dev.sluice.bench.Script;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code /v1/messages} through the whole gateway to the fake OpenAI-compatible upstream: Anthropic's events and
 * messages back, the neutral request in OpenAI's terms upstream, and the stages every chat API shares on the way.
 */
class MessagesIT extends IntegrationTest {

    private static final String STREAM = """
            {"model":"fake","max_tokens":64,"stream":true,"system":"Be brief.",
             "messages":[{"role":"user","content":"Say hello"}]}""";
    private static final String NO_STREAM = """
            {"model":"fake","max_tokens":64,"messages":[{"role":"user","content":"Say hello"}]}""";
    private static final String WEATHER_TOOL = """
            "tools":[{"name":"get_weather","description":"Current weather",
              "input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]""";

    @Autowired
    MeterRegistry meters;

    @Test
    void aStreamArrivesAsAnthropicEventsFromMessageStartToMessageStop() {
        upstream.enqueue(Script.text("Hello", " world"));

        List<ServerSentEvent<String>> events = SseEvents.withData(post(STREAM)
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_EVENT_STREAM)
                .expectHeader().valueEquals("X-Sluice-Provider", "fake/fake-model")
                .expectHeader().exists("X-Request-ID")
                .expectBodyList(SseEvents.TYPE).returnResult().getResponseBody());

        assertThat(events).extracting(ServerSentEvent::event).containsExactly("message_start", "content_block_start",
                "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop");
        assertThat(SseEvents.json(events.get(0)).at("/message/model").asString()).as("the model as the caller named it")
                .isEqualTo("fake");
        assertThat(SseEvents.json(events.get(2)).at("/delta/text").asString()).isEqualTo("Hello");
        assertThat(SseEvents.json(events.get(3)).at("/delta/text").asString()).isEqualTo(" world");
        JsonNode delta = SseEvents.json(events.get(5));
        assertThat(delta.at("/delta/stop_reason").asString()).isEqualTo("end_turn");
        assertThat(delta.at("/usage/output_tokens").asInt()).as("the provider's count").isEqualTo(2);
        JsonNode sent = SseEvents.json(upstream.requestBodies().get(0));
        assertThat(sent.path("model").asString()).as("the provider's own model name").isEqualTo("fake-model");
        assertThat(sent.path("max_tokens").asInt()).isEqualTo(64);
        assertThat(sent.at("/messages/0").toString()).isEqualTo("{\"role\":\"system\",\"content\":\"Be brief.\"}");
        assertThat(sent.at("/messages/1").toString()).isEqualTo("{\"role\":\"user\",\"content\":\"Say hello\"}");
        assertThat(upstream.apiKeys()).as("the provider's key went upstream").containsExactly(FAKE_KEY);
    }

    @Test
    void withoutStreamTheReplyIsOneMessageAndTheSharedStagesRan() {
        upstream.enqueue(Script.text("Hello", " world"));

        post(NO_STREAM)
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
                .expectHeader().valueEquals("X-Sluice-Provider", "fake/fake-model")
                .expectHeader().valueEquals("X-Sluice-Attempts", "1")
                .expectHeader().exists("X-Sluice-Cache")
                .expectHeader().exists("X-RateLimit-Limit")
                .expectBody()
                .jsonPath("$.id").value(id -> assertThat((String) id).startsWith("msg_"))
                .jsonPath("$.type").isEqualTo("message")
                .jsonPath("$.role").isEqualTo("assistant")
                .jsonPath("$.model").isEqualTo("fake")
                .jsonPath("$.content.length()").isEqualTo(1)
                .jsonPath("$.content[0].type").isEqualTo("text")
                .jsonPath("$.content[0].text").isEqualTo("Hello world")
                .jsonPath("$.stop_reason").isEqualTo("end_turn")
                .jsonPath("$.usage.output_tokens").isEqualTo(2);

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(meters.find("http.server.requests")
                .tag("uri", "/v1/messages").tag("model", "fake").tag("status", "200").timers())
                .as("the request metrics of every chat API, with the model asked for")
                .isNotEmpty());
    }

    @Test
    void aToolCallComesBackAsAToolUseBlockWhoseInputIsAnObject() {
        upstream.enqueue(Script.toolCall("get_weather", "{\"city\":\"Paris\"}"));

        post("""
                {"model":"fake","max_tokens":64,"messages":[{"role":"user","content":"Weather in Paris?"}],%s,
                 "tool_choice":{"type":"tool","name":"get_weather"}}""".formatted(WEATHER_TOOL))
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.stop_reason").isEqualTo("tool_use")
                .jsonPath("$.content[0].type").isEqualTo("tool_use")
                .jsonPath("$.content[0].id").isEqualTo("call_fake")
                .jsonPath("$.content[0].name").isEqualTo("get_weather")
                .jsonPath("$.content[0].input.city").isEqualTo("Paris");

        JsonNode sent = SseEvents.json(upstream.requestBodies().get(0));
        assertThat(sent.at("/tools/0/function/name").asString()).isEqualTo("get_weather");
        assertThat(sent.at("/tools/0/function/parameters/required/0").asString()).as("input_schema, as the schema")
                .isEqualTo("city");
        assertThat(sent.at("/tool_choice/function/name").asString()).isEqualTo("get_weather");
    }

    @Test
    void aStreamedToolCallIsAToolUseBlockOfInputJsonDeltas() {
        upstream.enqueue(Script.toolCall("get_weather", "{\"city\":\"Paris\"}"));

        List<JsonNode> events = SseEvents.withData(post("""
                {"model":"fake","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Weather?"}],%s}"""
                .formatted(WEATHER_TOOL)).expectStatus().isOk().expectBodyList(SseEvents.TYPE).returnResult()
                .getResponseBody()).stream().map(SseEvents::json).toList();

        JsonNode start = events.stream().filter(e -> e.path("type").asString().equals("content_block_start")).findFirst().orElseThrow();
        assertThat(start.at("/content_block/type").asString()).isEqualTo("tool_use");
        assertThat(start.at("/content_block/name").asString()).isEqualTo("get_weather");
        StringBuilder input = new StringBuilder();
        events.stream().filter(e -> e.at("/delta/type").asString("").equals("input_json_delta"))
                .forEach(e -> input.append(e.at("/delta/partial_json").asString()));
        assertThat(input).as("the fragments join into the call's input").hasToString("{\"city\":\"Paris\"}");
        assertThat(events.stream().map(e -> e.at("/delta/stop_reason").asString(null)).filter(r -> r != null))
                .containsExactly("tool_use");
    }

    @Test
    void aToolResultAndAnImageGoUpstreamInOpenAisTerms() {
        post("""
                {"model":"fake","max_tokens":64,%s,"messages":[
                  {"role":"user","content":"Weather in Paris?"},
                  {"role":"assistant","content":[{"type":"tool_use","id":"call_7","name":"get_weather","input":{"city":"Paris"}}]},
                  {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_7","content":"21 °C"},
                    {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
                    {"type":"text","text":"And what is this?"}]}]}""".formatted(WEATHER_TOOL))
                .expectStatus().isOk();

        JsonNode messages = SseEvents.json(upstream.requestBodies().get(0)).path("messages");
        assertThat(messages.get(1).path("tool_calls").toString())
                .isEqualTo("[{\"id\":\"call_7\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]");
        assertThat(messages.get(2).toString()).isEqualTo("{\"role\":\"tool\",\"content\":\"21 °C\",\"tool_call_id\":\"call_7\"}");
        assertThat(messages.get(3).path("content").toString()).as("the image as a data URL, before its question")
                .isEqualTo("[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}},"
                        + "{\"type\":\"text\",\"text\":\"And what is this?\"}]");
    }

    @Test
    void aStreamThatBreaksMidWayEndsWithAnErrorEventAndNoMessageStop() {
        upstream.enqueue(Script.tokens(6).dropAfter(2));

        List<ServerSentEvent<String>> events = SseEvents.withData(post(STREAM).expectStatus().isOk()
                .expectBodyList(SseEvents.TYPE).returnResult().getResponseBody());

        ServerSentEvent<String> last = events.get(events.size() - 1);
        assertThat(last.event()).isEqualTo("error");
        assertThat(SseEvents.json(last).path("type").asString()).isEqualTo("error");
        assertThat(SseEvents.json(last).at("/error/type").asString()).isEqualTo("api_error");
        assertThat(SseEvents.json(last).at("/error/message").asString()).isNotBlank();
        assertThat(events).as("the tokens before the break").filteredOn(e -> "content_block_delta".equals(e.event())).hasSize(2);
        assertThat(events).as("a broken stream must not look finished")
                .noneMatch(e -> "message_stop".equals(e.event()) || "message_delta".equals(e.event()));
    }

    @Test
    void failuresBeforeTheFirstEventAreHttpErrorsInAnthropicsShape() {
        upstream.enqueue(Script.status(500), Script.status(500));

        post(STREAM)
                .expectStatus().isEqualTo(502)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
                .expectBody()
                .jsonPath("$.type").isEqualTo("error")
                .jsonPath("$.error.type").isEqualTo("api_error")
                .jsonPath("$.request_id").isNotEmpty();
        post("{\"model\":\"no-such-model\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .expectStatus().isNotFound()
                .expectBody().jsonPath("$.error.type").isEqualTo("not_found_error");
        post("{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .expectStatus().isBadRequest()
                .expectBody()
                .jsonPath("$.error.type").isEqualTo("invalid_request_error")
                .jsonPath("$.error.message").isEqualTo("max_tokens: is required");
        assertThat(upstream.requests()).as("only the chat that was valid went upstream, twice").isEqualTo(2);
    }

    @Test
    void theAnthropicVersionAndBetaHeadersAreAcceptedWhateverTheySay() {
        upstream.enqueue(Script.text("ok"));

        web.post().uri("/v1/messages").contentType(MediaType.APPLICATION_JSON)
                .header("anthropic-version", "2099-01-01").header("anthropic-beta", "some-beta-2099-01-01")
                .bodyValue(NO_STREAM).exchange()
                .expectStatus().isOk();

        assertThat(upstream.requests()).isEqualTo(1);
    }

    @Test
    void countTokensAnswersTheGatewaysEstimateWithoutCallingUpstream() {
        web.post().uri("/v1/messages/count_tokens").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"system\":\"" + "s".repeat(40) + "\",\"messages\":[{\"role\":\"user\",\"content\":\""
                        + "u".repeat(40) + "\"}]}")
                .exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.input_tokens").isEqualTo(20);
        web.post().uri("/v1/messages/count_tokens").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange()
                .expectStatus().isNotFound();

        assertThat(upstream.requests()).isZero();
    }

    @Test
    void onlyPostIsAllowed() {
        web.get().uri("/v1/messages").exchange()
                .expectStatus().isEqualTo(405)
                .expectBody().jsonPath("$.error.type").isEqualTo("invalid_request_error");
    }

    private WebTestClient.ResponseSpec post(String body) {
        return web.post().uri("/v1/messages").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }
}
