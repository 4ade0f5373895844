package dev.sluice.gateway.conversation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.sluice.bench.Script;
import dev.sluice.gateway.testing.CuttableProxy;
import dev.sluice.gateway.testing.ExternalServices;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.spi.ConnectionFactories;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import io.r2dbc.spi.ConnectionFactory;
import org.springframework.test.context.TestPropertySource;
import reactor.core.publisher.Flux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * PostgreSQL unreachable for a while, through a proxy this test cuts (the shared service keeps running for
 * everyone else): replies keep streaming, their history waits in the buffer, and it is all stored once the
 * database is back, over a connection pool that recovered by itself.
 */
@TestPropertySource(properties = {"sluice.history.retry-backoff=50ms", "sluice.history.max-retry-backoff=300ms"})
class DatabaseOutageIT extends IntegrationTest {

    private static final CuttableProxy proxy = startProxy();

    /**
     * The gateway's connection pool, through the proxy. A bean rather than {@code spring.r2dbc.url}, which the
     * base class's dynamic properties would override; the pool settings are the application's.
     */
    @TestConfiguration(proxyBeanMethods = false)
    static class ThroughTheProxy {

        @Bean
        ConnectionFactory connectionFactory() {
            return ExternalServices.get().pooledThrough(proxy.port());
        }
    }

    private final DatabaseClient direct = DatabaseClient.create(ConnectionFactories.get(ExternalServices.get().r2dbcUrl()));

    @Autowired
    HistoryWriter writer;

    @Autowired
    MeterRegistry meters;

    @AfterEach
    void restore() {
        proxy.restore();
    }

    @Test
    void repliesThatFinishWhileTheDatabaseIsDownAreStoredOnceItIsBack() {
        upstream.defaultScript(Script.tokens(10).every(Duration.ofMillis(100)));
        List<String> replies = new CopyOnWriteArrayList<>();
        List<Integer> tokensSeen = new CopyOnWriteArrayList<>();
        double retriesBefore = meters.counter("sluice.history.retries").count();
        // One request alone first: Jackson builds its deserializers under a lock on first use, which BlockHound
        // reports when several cold requests race for it.
        web.post().uri("/api/v1/chat").contentType(MediaType.APPLICATION_JSON).bodyValue("{\"model\":\"fake\",\"prompt\":\"Warm\"}")
                .exchange().expectStatus().isOk().expectBody(String.class).returnResult();

        Flux.range(0, 4)
                .flatMap(i -> client().post().uri("/api/v1/chat").contentType(MediaType.APPLICATION_JSON)
                        .bodyValue("{\"model\":\"fake\",\"prompt\":\"During the outage " + i + "\"}")
                        .retrieve().bodyToFlux(SseEvents.TYPE)
                        .filter(event -> event.data() != null)
                        .doOnNext(event -> {
                            if ("token".equals(event.event()) && tokensSeen.size() < 4) {
                                tokensSeen.add(i);
                            }
                            if ("done".equals(event.event())) {
                                replies.add(SseEvents.json(event).path("message_id").asString());
                            }
                        })
                        .map(ServerSentEvent::event)
                        .last())
                .subscribe();
        await().atMost(Duration.ofSeconds(5)).until(() -> tokensSeen.size() >= 4);
        assertThat(proxy.accepted()).as("the gateway reaches the database through the proxy").isPositive();
        proxy.cut();

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(replies)
                .as("every stream finished normally while the database was away").hasSize(4));
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(meters.counter("sluice.history.retries").count())
                .as("the writer kept trying").isGreaterThan(retriesBefore));
        assertThat(writer.backlog()).as("the replies wait in the buffer").isGreaterThanOrEqualTo(4);
        assertThat(storedOk(replies)).as("nothing reached the database yet").isZero();

        proxy.restore();

        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(storedOk(replies))
                .as("every reply stored once the database is back").isEqualTo(4));
        // The rows are visible at the commit, a moment before the writer hears of it.
        await().atMost(Duration.ofSeconds(5)).until(() -> writer.backlog() == 0);
        assertThat(meters.counter("sluice.history.dropped", "reason", "full").count()).isZero();
    }

    /**
     * A conversation needs nothing from the database to start (its id is made here, its row written behind), nor to
     * go on on the replica that started it (which remembers its latest messages): both work through an outage, and
     * every row is stored once the database is back.
     */
    @Test
    void conversationsStartedWhileTheDatabaseIsDownGoOnAndAreStoredOnceItIsBack() {
        upstream.defaultScript(Script.tokens(5).every(Duration.ofMillis(20)));
        web.post().uri("/api/v1/chat").contentType(MediaType.APPLICATION_JSON).bodyValue("{\"model\":\"fake\",\"prompt\":\"Warm\"}")
                .exchange().expectStatus().isOk().expectBody(String.class).returnResult();
        assertThat(proxy.accepted()).as("the gateway reaches the database through the proxy").isPositive();
        String run = UUID.randomUUID().toString();
        proxy.cut();

        List<Done> started = Flux.range(0, 3)
                .flatMap(i -> chat("{\"model\":\"fake\",\"prompt\":\"New during the outage " + run + " " + i + "\"}"))
                .collectList()
                .block(Duration.ofSeconds(20));
        assertThat(started).as("every new conversation streamed to its end").hasSize(3)
                .allSatisfy(done -> assertThat(done.tokens()).isEqualTo(5));
        Done first = started.get(0);
        Done followUp = chat("{\"model\":\"fake\",\"conversation_id\":\"" + first.conversationId()
                + "\",\"prompt\":\"And a follow-up " + run + "\"}").block(Duration.ofSeconds(20));
        assertThat(followUp.conversationId()).isEqualTo(first.conversationId());
        assertThat(upstream.requestBodies().get(upstream.requestBodies().size() - 1))
                .as("the follow-up went with the turn before it as context, from this replica's memory")
                .contains("New during the outage " + run).contains("tok4");
        assertThat(rows("SELECT count(*) AS n FROM conversations WHERE title LIKE :run", run))
                .as("nothing reached the database yet").isZero();

        proxy.restore();

        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertThat(rows("SELECT count(*) AS n FROM conversations WHERE title LIKE :run", run))
                    .as("every conversation started during the outage is stored").isEqualTo(3);
            assertThat(rows("""
                    SELECT count(*) AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id
                    WHERE c.title LIKE :run AND m.status = 'ok'""", run))
                    .as("their questions and answers too: 3 x 2, and the follow-up's 2").isEqualTo(8);
        });
        for (Done done : List.of(started.get(0), started.get(1), started.get(2), followUp)) {
            assertThat(direct.sql("SELECT conversation_id FROM messages WHERE id = :id AND role = 'assistant'")
                    .bind("id", UUID.fromString(done.messageId()))
                    .map((row, metadata) -> row.get("conversation_id", UUID.class).toString())
                    .one().block(Duration.ofSeconds(5)))
                    .as("each reply under the id its done event gave, in its conversation")
                    .isEqualTo(done.conversationId());
        }
        assertThat(writer.backlog()).isZero();
        assertThat(meters.counter("sluice.history.dropped", "reason", "full").count()).isZero();
        assertThat(meters.counter("sluice.history.dropped", "reason", "rejected").count()).isZero();
    }

    /** One chat on a real socket, to its done event. */
    private reactor.core.publisher.Mono<Done> chat(String body) {
        int[] tokens = {0};
        return client().post().uri("/api/v1/chat").contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                .retrieve().bodyToFlux(SseEvents.TYPE)
                .filter(event -> event.data() != null)
                .doOnNext(event -> {
                    if ("token".equals(event.event())) {
                        tokens[0]++;
                    }
                })
                .filter(event -> "done".equals(event.event()))
                .single()
                .map(event -> new Done(SseEvents.json(event).path("conversation_id").asString(),
                        SseEvents.json(event).path("message_id").asString(), tokens[0]));
    }

    private long rows(String sql, String run) {
        return direct.sql(sql).bind("run", "%" + run + "%")
                .map((row, metadata) -> row.get("n", Long.class))
                .one()
                .block(Duration.ofSeconds(5));
    }

    private record Done(String conversationId, String messageId, int tokens) {
    }

    private long storedOk(List<String> replies) {
        return Flux.fromIterable(replies)
                .flatMap(id -> direct.sql("SELECT status FROM messages WHERE id = :id").bind("id", UUID.fromString(id))
                        .map((row, metadata) -> row.get("status", String.class)).all())
                .filter("ok"::equals)
                .count()
                .block(Duration.ofSeconds(5));
    }

    private static CuttableProxy startProxy() {
        URI direct = URI.create(ExternalServices.get().postgresUrl());
        try {
            return new CuttableProxy(direct.getHost(), direct.getPort());
        }
        catch (IOException failure) {
            throw new UncheckedIOException(failure);
        }
    }
}
