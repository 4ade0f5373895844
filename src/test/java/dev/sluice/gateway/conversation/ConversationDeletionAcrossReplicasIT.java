package dev.sluice.gateway.conversation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import dev.sluice.bench.FakeUpstream;
import dev.sluice.bench.Script;
import dev.sluice.gateway.SluiceApplication;
import dev.sluice.gateway.testing.ExternalServices;
import dev.sluice.gateway.testing.SseEvents;
import io.r2dbc.spi.ConnectionFactories;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two replicas on the same PostgreSQL and Redis (issue 12, point 12): a conversation deleted on one cannot be
 * continued on the other, which remembered it, a few seconds later; not even when the announcement was lost.
 */
class ConversationDeletionAcrossReplicasIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** Two checks of the deletion count, and some slack for a busy machine. */
    private static final Duration WITHIN_SECONDS = Duration.ofSeconds(ConversationDeletions.CHECK_SECONDS * 2 + 4);

    private final FakeUpstream upstream = FakeUpstream.start(0, Script.text("Answer"));
    private final List<ConfigurableApplicationContext> replicas = new ArrayList<>();
    private final DatabaseClient direct = DatabaseClient.create(ConnectionFactories.get(ExternalServices.get().r2dbcUrl()));
    private ConfigurableApplicationContext first;
    private ConfigurableApplicationContext second;

    @BeforeEach
    void twoReplicas() {
        first = replica();
        second = replica();
    }

    @AfterEach
    void stop() {
        replicas.forEach(ConfigurableApplicationContext::close);
        upstream.close();
    }

    @Test
    void aConversationDeletedOnOneReplicaCannotBeContinuedOnTheOtherWithinSeconds() {
        String conversation = rememberedByBoth();

        web(first).delete().uri("/api/v1/conversations/" + conversation).exchange().expectStatus().isNoContent();

        await().atMost(WITHIN_SECONDS).untilAsserted(() -> assertThat(followUp(second, conversation))
                .as("the other replica forgot it, and the database has it no more").isEqualTo(404));
    }

    @Test
    void aReplicaThatMissedADeletionNoticesFromTheCountAndForgetsWhatItRemembers() {
        String conversation = rememberedByBoth();
        // A deletion whose announcement never arrived: the row goes, the count moves on, nothing is published.
        direct.sql("DELETE FROM conversations WHERE id = :id").bind("id", UUID.fromString(conversation))
                .fetch().rowsUpdated().block(TIMEOUT);
        second.getBean(ReactiveStringRedisTemplate.class).opsForValue().increment(ConversationDeletions.COUNT).block(TIMEOUT);

        await().atMost(WITHIN_SECONDS).untilAsserted(() -> assertThat(followUp(second, conversation))
                .as("the replica noticed the gap and reads conversations from the database again").isEqualTo(404));
    }

    /** A conversation started on the first replica and continued on the second, which now remembers it. */
    private String rememberedByBoth() {
        String conversation = SseEvents.json(web(first).post().uri("/api/v1/chat").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"shared\",\"prompt\":\"Hello\",\"stream\":false}")
                .exchange().expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody())
                .path("conversation_id").asString();
        assertThat(first.getBean(HistoryWriter.class).flush(TIMEOUT)).isTrue();
        assertThat(followUp(second, conversation)).as("read from the database, and remembered").isEqualTo(200);
        assertThat(second.getBean(HistoryWriter.class).flush(TIMEOUT)).isTrue();
        return conversation;
    }

    private int followUp(ConfigurableApplicationContext replica, String conversation) {
        return web(replica).post().uri("/api/v1/chat").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"shared\",\"prompt\":\"And then?\",\"stream\":false,\"conversation_id\":\""
                        + conversation + "\"}")
                .exchange().returnResult(String.class).getStatus().value();
    }

    private static WebTestClient web(ConfigurableApplicationContext replica) {
        return WebTestClient.bindToServer().responseTimeout(TIMEOUT)
                .baseUrl("http://127.0.0.1:" + ((WebServerApplicationContext) replica).getWebServer().getPort()).build();
    }

    /** One gateway on a random port, anonymous as the embedded default is, on the test PostgreSQL and Redis. */
    private ConfigurableApplicationContext replica() {
        List<String> args = new ArrayList<>(List.of(
                "--server.port=0",
                "--sluice.status.probe-interval=0s",
                "--sluice.providers.deletion-replicas.type=openai",
                "--sluice.providers.deletion-replicas.base-url=" + upstream.baseUrl(),
                "--sluice.providers.deletion-replicas.api-keys=key-a",
                "--sluice.aliases.shared.targets=deletion-replicas/m",
                "--sluice.quotas.daily-requests=100000000",
                "--sluice.quotas.daily-tokens=100000000000",
                "--sluice.limits.per-ip.requests-per-minute=100000",
                "--sluice.limits.per-user.requests-per-minute=100000"));
        ExternalServices.get().springProperties().forEach((name, value) -> args.add("--" + name + "=" + value));
        ConfigurableApplicationContext context = new SpringApplicationBuilder(SluiceApplication.class)
                .run(args.toArray(String[]::new));
        replicas.add(context);
        return context;
    }
}
