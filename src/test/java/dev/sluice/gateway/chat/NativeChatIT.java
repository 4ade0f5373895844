package dev.sluice.gateway.chat;

import java.time.Duration;
import java.util.List;

import dev.sluice.bench.Script;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.Disposable;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class NativeChatIT extends IntegrationTest {

    @Test
    void aStreamArrivesAsTokenUsageAndDoneEvents() {
        upstream.enqueue(Script.text("Bonjour", " !"));

        List<ServerSentEvent<String>> events = SseEvents.withData(chat("""
                {"model":"fake","messages":[{"role":"user","content":"Hi"}]}""")
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_EVENT_STREAM)
                .expectHeader().valueEquals("X-Sluice-Provider", "fake/fake-model")
                .expectBodyList(SseEvents.TYPE).returnResult().getResponseBody());

        assertThat(events).extracting(ServerSentEvent::event).containsExactly("token", "token", "usage", "done");
        assertThat(SseEvents.json(events.get(0)).path("text").asString()).isEqualTo("Bonjour");
        assertThat(SseEvents.json(events.get(2)).path("completion_tokens").asInt()).isEqualTo(2);
        JsonNode done = SseEvents.json(events.get(3));
        assertThat(done.path("conversation_id").asString()).as("a new conversation, its id a UUID")
                .matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        assertThat(done.path("message_id").asString()).as("every reply gets an id").isNotBlank();
        assertThat(done.path("cached").asBoolean()).isFalse();
    }

    @Test
    void aPromptWithoutStreamingGetsOneJsonReply() {
        upstream.enqueue(Script.text("Bonjour", " !"));

        chat("""
                {"model":"fake","prompt":"Hi","stream":false}""")
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
                .expectBody()
                .jsonPath("$.text").isEqualTo("Bonjour !")
                .jsonPath("$.provider").isEqualTo("fake/fake-model")
                .jsonPath("$.finish_reason").isEqualTo("stop")
                .jsonPath("$.usage.total_tokens").isNumber();
    }

    @Test
    void anAgentSendsItsSystemPromptToItsAlias() {
        chat("""
                {"agent":"french","prompt":"Hi","stream":false}""").expectStatus().isOk();

        JsonNode sent = SseEvents.json(upstream.requestBodies().get(0));
        assertThat(sent.at("/messages/0/role").asString()).isEqualTo("system");
        assertThat(sent.at("/messages/0/content").asString()).isEqualTo("Answer in French.");
        assertThat(sent.at("/messages/1/content").asString()).isEqualTo("Hi");
    }

    @Test
    void aStreamThatBreaksMidWayEndsWithAnErrorEventInsteadOfDone() {
        upstream.enqueue(Script.tokens(6).dropAfter(2));

        List<ServerSentEvent<String>> events = SseEvents.withData(chat("""
                {"model":"fake","prompt":"Hi"}""")
                .expectStatus().isOk()
                .expectBodyList(SseEvents.TYPE).returnResult().getResponseBody());

        assertThat(events).extracting(ServerSentEvent::event).containsExactly("token", "token", "error");
        assertThat(SseEvents.json(events.get(2)).path("code").asString()).isEqualTo("stream_broken");
    }

    @Test
    void aTruncatedStreamIsReportedAsAnErrorNotAsFinished() {
        upstream.enqueue(Script.tokens(3).withoutDone());

        List<ServerSentEvent<String>> events = SseEvents.withData(chat("""
                {"model":"fake","prompt":"Hi"}""")
                .expectBodyList(SseEvents.TYPE).returnResult().getResponseBody());

        assertThat(events).last().extracting(ServerSentEvent::event).isEqualTo("error");
    }

    @Test
    void aFailureBeforeTheFirstTokenIsAProblemResponse() {
        upstream.enqueue(Script.status(503), Script.status(503));

        chat("""
                {"model":"fake","prompt":"Hi"}""")
                .expectStatus().isEqualTo(502)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.status").isEqualTo(502)
                .jsonPath("$.type").isEqualTo("https://sluice.dev/problems/upstream-failed")
                .jsonPath("$.request_id").isNotEmpty();
    }

    @Test
    void aClientThatHangsUpCancelsTheUpstreamCall() {
        upstream.enqueue(Script.tokens(200).every(Duration.ofMillis(20)));

        Disposable client = client().post().uri("/api/v1/chat").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"prompt\":\"Hi\"}")
                .retrieve().bodyToFlux(String.class).take(3).subscribe();

        await().atMost(Duration.ofSeconds(2)).until(client::isDisposed);
        await().atMost(Duration.ofMillis(500)).untilAsserted(() -> assertThat(upstream.cancelledStreams()).isEqualTo(1));
    }

    private WebTestClient.ResponseSpec chat(String body) {
        return web.post().uri("/api/v1/chat").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }
}
