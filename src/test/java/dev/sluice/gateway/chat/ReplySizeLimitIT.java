package dev.sluice.gateway.chat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.sluice.bench.Script;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A runaway upstream is stopped at {@code sluice.chat.max-reply-bytes} (1 MiB by default) with a clear error, on
 * every API and with or without streaming, and its call is cancelled rather than read to its end.
 */
class ReplySizeLimitIT extends IntegrationTest {

    /** Eight pieces of 200 KB: the sixth goes past 1 MiB, and two more are never read. */
    private static final Script RUNAWAY = runaway();

    @Test
    void aStreamedReplyPastTheLimitEndsWithAnErrorChunkAndItsUpstreamIsCancelled() {
        upstream.enqueue(RUNAWAY);

        String body = web.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();

        assertThat(body).as("the error chunk, and no [DONE] that would make the reply look complete")
                .contains("\"code\":\"reply_too_large\"").contains("1048576 bytes").doesNotContain("[DONE]");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(upstream.cancelledStreams())
                .as("the upstream call was cancelled, not read to its end").isEqualTo(1));
    }

    @Test
    void aNativeStreamPastTheLimitEndsWithAnErrorEvent() {
        upstream.enqueue(RUNAWAY);

        List<ServerSentEvent<String>> events = SseEvents.withData(web.post().uri("/api/v1/chat")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"prompt\":\"Hi\"}")
                .exchange().expectStatus().isOk()
                .expectBodyList(SseEvents.TYPE).returnResult().getResponseBody());

        ServerSentEvent<String> last = events.get(events.size() - 1);
        assertThat(last.event()).isEqualTo("error");
        assertThat(SseEvents.json(last).path("code").asString()).isEqualTo("reply_too_large");
    }

    @Test
    void aWholeReplyPastTheLimitIsA502ThatSaysSo() {
        upstream.enqueue(RUNAWAY);

        web.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange().expectStatus().isEqualTo(502)
                .expectBody()
                .jsonPath("$.error.code").isEqualTo("reply_too_large")
                .jsonPath("$.error.message").value(message -> assertThat((String) message).contains("limit"));
    }

    private static Script runaway() {
        List<String> pieces = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            pieces.add("x".repeat(200_000));
        }
        // Paced, so that the cut comes while the upstream still has pieces to send.
        return Script.text(pieces.toArray(String[]::new)).every(Duration.ofMillis(50));
    }
}
