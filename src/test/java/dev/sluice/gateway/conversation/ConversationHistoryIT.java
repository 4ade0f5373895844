package dev.sluice.gateway.conversation;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.sluice.bench.Script;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.TestPropertySource;
import reactor.core.Disposable;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * History through the native API, on real PostgreSQL, with two accounts (anonymous access off, the same
 * settings as AuthIT so that both share one application context).
 */
@TestPropertySource(properties = {"sluice.auth.anonymous=false", "sluice.auth.jwt-secret=" + ConversationHistoryIT.SECRET,
        "sluice.auth.bootstrap-admin.email=boss@admins.example",
        "sluice.auth.bootstrap-admin.password=the boss password"})
class ConversationHistoryIT extends IntegrationTest {

    static final String SECRET = "integration-test-secret-of-at-least-32-bytes";
    private static final Duration STORED = Duration.ofSeconds(10);

    @Autowired
    DatabaseClient database;

    @Autowired
    HistoryWriter writer;

    private String alice;
    private String bob;

    @BeforeEach
    void twoAccounts() {
        alice = token();
        bob = token();
    }

    @Test
    void aChatWithoutConversationStartsOneTitledByItsFirstMessageAndStoresBothSides() {
        upstream.enqueue(Script.text("Bonjour", " !"));

        JsonNode done = done(chat(alice, "{\"model\":\"fake\",\"prompt\":\"  Say   hello\\n in French  \"}"));
        String conversation = done.path("conversation_id").asString();
        String reply = done.path("message_id").asString();

        await().atMost(STORED).untilAsserted(() -> assertThat(messages(alice, conversation))
                .as("the question and the answer, newest first")
                .extracting(m -> m.path("role").asString()).containsExactly("assistant", "user"));
        List<JsonNode> messages = messages(alice, conversation);
        JsonNode answer = messages.get(0);
        assertThat(answer.path("id").asString()).as("the id the done event announced").isEqualTo(reply);
        assertThat(answer.path("content").asString()).isEqualTo("Bonjour !");
        assertThat(answer.path("status").asString()).isEqualTo("ok");
        assertThat(answer.path("provider").asString()).isEqualTo("fake/fake-model");
        assertThat(answer.path("tokens_out").asInt()).isEqualTo(2);
        assertThat(answer.path("finish_reason").asString()).isEqualTo("stop");
        assertThat(answer.path("duration_ms").isNumber()).as("timings are kept").isTrue();
        assertThat(messages.get(1).path("content").asString()).isEqualTo("  Say   hello\n in French  ");
        JsonNode listed = get(alice, "/api/v1/conversations").path("items").get(0);
        assertThat(listed.path("id").asString()).isEqualTo(conversation);
        assertThat(listed.path("title").asString()).as("first message, trimmed, on one line").isEqualTo("Say hello in French");
    }

    @Test
    void theNextMessageIsSentWithTheConversationSoFarAfterTheAgentsSystemPrompt() {
        upstream.enqueue(Script.text("Bonjour"));
        String conversation = done(chat(alice, "{\"agent\":\"french\",\"prompt\":\"Hello\"}")).path("conversation_id").asString();
        upstream.enqueue(Script.text("Au revoir"));

        done(chat(alice, "{\"agent\":\"french\",\"prompt\":\"Goodbye\",\"conversation_id\":\"" + conversation + "\"}"));

        JsonNode sent = SseEvents.json(upstream.requestBodies().get(1));
        assertThat(sent.path("messages").valueStream().map(m -> m.path("role").asString() + ":" + m.path("content").asString()))
                .as("agent prompt, then the history, then the new message")
                .containsExactly("system:Answer in French.", "user:Hello", "assistant:Bonjour", "user:Goodbye");
    }

    @Test
    void historyIsAlsoReadFromTheDatabaseWhenThisReplicaDoesNotRememberTheConversation() {
        UUID conversation = UUID.randomUUID();
        UUID owner = UUID.fromString(accountId(alice));
        writer.offer(List.of(new HistoryWrite.NewConversation(conversation, owner, "Old", Conversations.now()),
                message(conversation, owner, "user", "Earlier question", 1),
                message(conversation, owner, "assistant", "Earlier answer", 2)));
        assertThat(writer.flush(STORED)).isTrue();

        done(chat(alice, "{\"model\":\"fake\",\"prompt\":\"Next\",\"conversation_id\":\"" + conversation + "\"}"));

        JsonNode sent = SseEvents.json(upstream.requestBodies().get(0));
        assertThat(sent.path("messages").valueStream().map(m -> m.path("content").asString()))
                .containsExactly("Earlier question", "Earlier answer", "Next");
    }

    @Test
    void onlyTheOwnerSeesContinuesOrDeletesAConversation() {
        String conversation = done(chat(alice, "{\"model\":\"fake\",\"prompt\":\"Mine\"}")).path("conversation_id").asString();
        await().atMost(STORED).until(() -> messages(alice, conversation).size() == 2);

        web.get().uri("/api/v1/conversations/" + conversation + "/messages").header("Authorization", "Bearer " + bob)
                .exchange().expectStatus().isNotFound();
        web.delete().uri("/api/v1/conversations/" + conversation).header("Authorization", "Bearer " + bob)
                .exchange().expectStatus().isNotFound();
        chatSpec(bob, "{\"model\":\"fake\",\"prompt\":\"Hi\",\"conversation_id\":\"" + conversation + "\"}")
                .expectStatus().isNotFound();
        assertThat(get(bob, "/api/v1/conversations").path("items").size()).isZero();

        web.delete().uri("/api/v1/conversations/" + conversation).header("Authorization", "Bearer " + alice)
                .exchange().expectStatus().isNoContent();
        web.get().uri("/api/v1/conversations/" + conversation + "/messages").header("Authorization", "Bearer " + alice)
                .exchange().expectStatus().isNotFound();
        assertThat(count("SELECT COUNT(*) AS n FROM messages WHERE conversation_id = '" + conversation + "'"))
                .as("messages go with their conversation").isZero();
    }

    @Test
    void pagesFollowTheCursorAndAnUnchangedPageIsNotSentAgain() {
        for (int i = 0; i < 3; i++) {
            done(chat(alice, "{\"model\":\"fake\",\"prompt\":\"Question " + i + "\"}"));
        }
        await().atMost(STORED).until(() -> get(alice, "/api/v1/conversations").path("items").size() == 3
                && writer.backlog() == 0);

        JsonNode first = get(alice, "/api/v1/conversations?limit=2");
        JsonNode second = get(alice, "/api/v1/conversations?limit=2&before=" + first.path("next_cursor").asString());

        assertThat(first.path("items").valueStream().map(c -> c.path("title").asString()))
                .containsExactly("Question 2", "Question 1");
        assertThat(second.path("items").valueStream().map(c -> c.path("title").asString())).containsExactly("Question 0");
        assertThat(second.path("next_cursor").isNull()).as("the last page").isTrue();
        String etag = web.get().uri("/api/v1/conversations?limit=2").header("Authorization", "Bearer " + alice)
                .exchange().expectStatus().isOk().returnResult(String.class).getResponseHeaders().getETag();
        web.get().uri("/api/v1/conversations?limit=2").header("Authorization", "Bearer " + alice)
                .header(HttpHeaders.IF_NONE_MATCH, etag)
                .exchange().expectStatus().isNotModified();
        web.get().uri("/api/v1/conversations?limit=500").header("Authorization", "Bearer " + alice)
                .exchange().expectStatus().isBadRequest()
                .expectBody().jsonPath("$.detail").value(detail -> assertThat((String) detail).startsWith("limit"));
        web.get().uri("/api/v1/conversations?before=garbage").header("Authorization", "Bearer " + alice)
                .exchange().expectStatus().isBadRequest();
    }

    @Test
    void messagesArePagedNewestFirstWithTheirOwnCursorAndETag() {
        String conversation = done(chat(alice, "{\"model\":\"fake\",\"prompt\":\"One\"}")).path("conversation_id").asString();
        done(chat(alice, "{\"model\":\"fake\",\"prompt\":\"Two\",\"conversation_id\":\"" + conversation + "\"}"));
        await().atMost(STORED).until(() -> messages(alice, conversation).size() == 4);
        String path = "/api/v1/conversations/" + conversation + "/messages";

        JsonNode first = get(alice, path + "?limit=3");
        JsonNode rest = get(alice, path + "?limit=3&before=" + first.path("next_cursor").asString());

        assertThat(first.path("items").size()).isEqualTo(3);
        assertThat(first.path("items").get(1).path("content").asString()).isEqualTo("Two");
        assertThat(rest.path("items").valueStream().map(m -> m.path("content").asString())).containsExactly("One");
        String etag = web.get().uri(path).header("Authorization", "Bearer " + alice)
                .exchange().returnResult(String.class).getResponseHeaders().getETag();
        web.get().uri(path).header("Authorization", "Bearer " + alice).header(HttpHeaders.IF_NONE_MATCH, etag)
                .exchange().expectStatus().isNotModified();
        done(chat(alice, "{\"model\":\"fake\",\"prompt\":\"Three\",\"conversation_id\":\"" + conversation + "\"}"));
        await().atMost(STORED).untilAsserted(() -> assertThat(web.get().uri(path).header("Authorization", "Bearer " + alice)
                .header(HttpHeaders.IF_NONE_MATCH, etag).exchange().returnResult(String.class).getStatus().value())
                .as("a new message changes the page").isEqualTo(200));
    }

    @Test
    void aCancelledStreamIsStoredWithItsPartialTextAndAFailedOneWithItsError() {
        upstream.enqueue(Script.text("Un", " deux", " trois", " quatre", " cinq", " six").every(Duration.ofMillis(150)));
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        Disposable client = client().post().uri("/api/v1/chat").contentType(MediaType.APPLICATION_JSON)
                .header("Authorization", "Bearer " + alice)
                .bodyValue("{\"model\":\"fake\",\"prompt\":\"Count\"}")
                .retrieve().bodyToFlux(SseEvents.TYPE)
                .filter(event -> "token".equals(event.event()))
                .take(2).doOnNext(event -> seen.add(event.data())).subscribe();
        await().atMost(Duration.ofSeconds(5)).until(client::isDisposed);

        await().atMost(STORED).untilAsserted(() -> assertThat(assistantMessages()).anySatisfy(row -> {
            assertThat(row.get("status")).isEqualTo("cancelled");
            assertThat((String) row.get("content")).as("the text the client had").startsWith("Un deux");
        }));

        upstream.enqueue(Script.tokens(6).dropAfter(2));
        chatSpec(alice, "{\"model\":\"fake\",\"prompt\":\"Break\"}").expectStatus().isOk().expectBody(String.class).returnResult();
        await().atMost(STORED).untilAsserted(() -> assertThat(assistantMessages()).anySatisfy(row -> {
            assertThat(row.get("status")).isEqualTo("failed");
            assertThat((String) row.get("error")).startsWith("stream_broken");
            assertThat((String) row.get("content")).as("the partial text").isNotEmpty();
        }));
    }

    @Test
    void feedbackIsOnePerUserAndMessageAndOnlyForMessagesTheUserCanSee() {
        String reply = done(chat(alice, "{\"model\":\"fake\",\"prompt\":\"Rate me\"}")).path("message_id").asString();

        feedback(alice, "{\"message_id\":\"" + reply + "\",\"rating\":1}").expectStatus().isAccepted();
        feedback(alice, "{\"message_id\":\"" + reply + "\",\"rating\":-1,\"comment\":\"wrong\"}").expectStatus().isAccepted();
        feedback(bob, "{\"message_id\":\"" + reply + "\",\"rating\":5}").expectStatus().isNotFound();
        feedback(alice, "{\"message_id\":\"" + reply + "\",\"rating\":7}").expectStatus().isBadRequest()
                .expectBody().jsonPath("$.detail").value(detail -> assertThat((String) detail).startsWith("rating"));
        feedback(alice, "{\"message_id\":\"nope\",\"rating\":1}").expectStatus().isBadRequest()
                .expectBody().jsonPath("$.detail").value(detail -> assertThat((String) detail).startsWith("message_id"));

        await().atMost(STORED).untilAsserted(() -> {
            List<Map<String, Object>> rows = database.sql("SELECT rating, comment FROM feedback WHERE message_id = :m")
                    .bind("m", UUID.fromString(reply)).fetch().all().collectList().block();
            assertThat(rows).as("the repeat replaced the first").hasSize(1);
            assertThat(((Number) rows.get(0).get("rating")).intValue()).isEqualTo(-1);
            assertThat(rows.get(0).get("comment")).isEqualTo("wrong");
        });
    }

    // --- helpers

    private List<Map<String, Object>> assistantMessages() {
        return database.sql("SELECT status, content, error FROM messages WHERE user_id = :u AND role = 'assistant'")
                .bind("u", UUID.fromString(accountId(alice))).fetch().all().collectList().block();
    }

    private HistoryWrite.Message message(UUID conversation, UUID owner, String role, String content, int micros) {
        return new HistoryWrite.Message(UUID.randomUUID(), conversation, owner, role, content, "fake", null, null, null,
                null, null, null, "ok", null, null, null, Conversations.now().minusSeconds(10).plusNanos(micros * 1000L));
    }

    private long count(String sql) {
        return ((Number) database.sql(sql).fetch().one().block().get("n")).longValue();
    }

    private String accountId(String token) {
        String payload = token.split("\\.")[1];
        return SseEvents.json(new String(java.util.Base64.getUrlDecoder().decode(payload))).path("sub").asString();
    }

    private String token() {
        String email = "history-" + UUID.randomUUID() + "@example.com";
        web.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", "correct horse")).exchange().expectStatus().isCreated();
        String login = web.post().uri("/api/v1/auth/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", "correct horse")).exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
        return SseEvents.json(login).path("access_token").asString();
    }

    private org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec chatSpec(String token, String body) {
        return web.post().uri("/api/v1/chat").header("Authorization", "Bearer " + token)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    private List<ServerSentEvent<String>> chat(String token, String body) {
        return SseEvents.withData(chatSpec(token, body).expectStatus().isOk()
                .expectBodyList(SseEvents.TYPE).returnResult().getResponseBody());
    }

    private static JsonNode done(List<ServerSentEvent<String>> events) {
        ServerSentEvent<String> last = events.get(events.size() - 1);
        assertThat(last.event()).as("the stream ends with done").isEqualTo("done");
        return SseEvents.json(last);
    }

    private org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec feedback(String token, String body) {
        return web.post().uri("/api/v1/feedback").header("Authorization", "Bearer " + token)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    private JsonNode get(String token, String path) {
        return SseEvents.json(web.get().uri(path).header("Authorization", "Bearer " + token).exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody());
    }

    private List<JsonNode> messages(String token, String conversation) {
        return get(token, "/api/v1/conversations/" + conversation + "/messages").path("items").valueStream().toList();
    }
}
