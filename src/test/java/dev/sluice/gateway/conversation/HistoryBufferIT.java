package dev.sluice.gateway.conversation;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import dev.sluice.bench.Script;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A history buffer of 16 KiB (issue 12, point 8): a turn it cannot take is still answered, and the answer says
 * that it will not be stored, with no id for a row that will not exist.
 */
@TestPropertySource(properties = {"sluice.history.buffer-bytes=16KB", "sluice.history.per-user-share=1"})
class HistoryBufferIT extends IntegrationTest {

    /** About 20 KiB in the buffer: over its bound alone. */
    private static final String LARGE = "x".repeat(10_000);

    @Autowired
    DatabaseClient database;

    @Autowired
    HistoryWriter writer;

    @Autowired
    MeterRegistry meters;

    @Test
    void aTurnTheBufferRefusesIsStillAnsweredAndItsDoneEventSaysItIsNotStored() {
        double refusedBefore = full();
        double withTurnBefore = dropped("turn_refused");

        List<ServerSentEvent<String>> events = SseEvents.withData(slow().post().uri("/api/v1/chat")
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"model\":\"fake\",\"prompt\":\"" + LARGE + "\"}")
                .exchange().expectStatus().isOk().expectBodyList(SseEvents.TYPE).returnResult().getResponseBody());

        assertThat(events).extracting(ServerSentEvent::event).as("the reply streams as usual").contains("token").endsWith("done");
        JsonNode done = SseEvents.json(events.get(events.size() - 1));
        assertThat(done.path("stored").asBoolean(true)).as("done says the turn will not be stored").isFalse();
        assertThat(done.path("message_id").isNull()).as("no id for a reply that will not exist").isTrue();
        assertThat(done.path("conversation_id").isNull()).as("nor for a new conversation that will not").isTrue();
        assertThat(full() - refusedBefore).as("the conversation and the question, counted").isEqualTo(2);
        assertThat(dropped("turn_refused") - withTurnBefore).as("and the answer that went with them").isEqualTo(1);
    }

    @Test
    void aReplyTheBufferRefusesInAStoredConversationKeepsTheConversationAndLosesOnlyItsId() {
        JsonNode first = reply("{\"model\":\"fake\",\"prompt\":\"Short\",\"stream\":false}");
        assertThat(first.path("stored").asBoolean()).as("a small turn fits").isTrue();
        String conversation = first.path("conversation_id").asString();
        upstream.enqueue(Script.text(LARGE));

        JsonNode second = reply("{\"model\":\"fake\",\"prompt\":\"Long answer please\",\"stream\":false,\"conversation_id\":\""
                + conversation + "\"}");

        assertThat(second.path("text").asString()).as("the answer is given").isEqualTo(LARGE);
        assertThat(second.path("stored").asBoolean(true)).isFalse();
        assertThat(second.path("message_id").isNull()).as("no id for the answer that will not be stored").isTrue();
        assertThat(second.path("conversation_id").asString()).as("the conversation goes on").isEqualTo(conversation);
        assertThat(writer.flush(Duration.ofSeconds(10))).isTrue();
        assertThat(database.sql("SELECT role FROM messages WHERE conversation_id = :id ORDER BY created_at")
                .bind("id", UUID.fromString(conversation)).map((row, metadata) -> row.get("role", String.class))
                .all().collectList().block())
                .as("both of the first turn, and the second's question").containsExactly("user", "assistant", "user");
    }

    private JsonNode reply(String body) {
        return SseEvents.json(slow().post().uri("/api/v1/chat").contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                .exchange().expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody());
    }

    /** The machine running the tests may be busy: more time than the default 5 s for a cold first chat. */
    private WebTestClient slow() {
        return web.mutate().responseTimeout(Duration.ofSeconds(30)).build();
    }

    private double full() {
        return dropped("full");
    }

    private double dropped(String reason) {
        return meters.counter("sluice.history.dropped", "reason", reason).count();
    }
}
