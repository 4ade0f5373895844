package dev.sluice.gateway.conversation;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.sluice.bench.Script;
import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Nothing a client may send makes an acknowledged write vanish (issue 12, points 13 and 18): text with a NUL,
 * which PostgreSQL text cannot hold, is stored without it, on the real PostgreSQL.
 */
class StoredClientInputIT extends IntegrationTest {

    private static final Duration STORED = Duration.ofSeconds(10);

    @Autowired
    DatabaseClient database;

    @Autowired
    HistoryWriter writer;

    @Autowired
    MeterRegistry meters;

    @Test
    void aPromptWithANulByteIsAnsweredWithAMessageIdAndStoredWithoutTheNul() {
        upstream.enqueue(Script.text("Fine"));
        double rejectedBefore = rejected();
        String run = UUID.randomUUID().toString();

        JsonNode reply = SseEvents.json(slow().post().uri("/api/v1/chat").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"prompt\":\"a\\u0000b " + run + "\",\"stream\":false}")
                .exchange().expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody());

        assertThat(reply.path("stored").asBoolean()).as("the reply says it is stored").isTrue();
        UUID conversation = UUID.fromString(reply.path("conversation_id").asString());
        UUID answer = UUID.fromString(reply.path("message_id").asString());
        assertThat(writer.flush(STORED)).isTrue();
        assertThat(database.sql("SELECT title FROM conversations WHERE id = :id").bind("id", conversation)
                .map((row, metadata) -> row.get("title", String.class)).one().block())
                .as("the conversation, titled by the prompt without its NUL").isEqualTo("ab " + run);
        List<Map<String, Object>> messages = database.sql("SELECT id, role, content FROM messages WHERE conversation_id = :id"
                + " ORDER BY created_at").bind("id", conversation).fetch().all().collectList().block();
        assertThat(messages).extracting(row -> row.get("role") + ":" + row.get("content"))
                .as("the question without its NUL, and the answer").containsExactly("user:ab " + run, "assistant:Fine");
        assertThat(messages.get(1).get("id")).as("under the id the reply gave").isEqualTo(answer);
        assertThat(rejected()).as("no row refused by the database").isEqualTo(rejectedBefore);
    }

    @Test
    void aFeedbackCommentWithANulByteIsAcceptedAndStoredWithoutTheNul() {
        String reply = SseEvents.json(slow().post().uri("/api/v1/chat").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"prompt\":\"Rate me\",\"stream\":false}")
                .exchange().expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody())
                .path("message_id").asString();
        double rejectedBefore = rejected();

        slow().post().uri("/api/v1/feedback").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"message_id\":\"" + reply + "\",\"rating\":-1,\"comment\":\"not\\u0000 right\"}")
                .exchange().expectStatus().isAccepted();

        await().atMost(STORED).untilAsserted(() -> assertThat(database.sql(
                        "SELECT comment FROM feedback WHERE message_id = :m AND user_id = :u")
                .bind("m", UUID.fromString(reply)).bind("u", Caller.ANONYMOUS_ID)
                .map((row, metadata) -> row.get("comment", String.class)).all().collectList().block())
                .as("the rating, its comment without the NUL").containsExactly("not right"));
        assertThat(rejected()).as("no row refused by the database").isEqualTo(rejectedBefore);
    }

    /** The machine running the tests may be busy: more time than the default 5 s for a cold first chat. */
    private WebTestClient slow() {
        return web.mutate().responseTimeout(Duration.ofSeconds(30)).build();
    }

    private double rejected() {
        return meters.counter("sluice.history.dropped", "reason", "rejected").count();
    }
}
