package dev.sluice.gateway.conversation;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import dev.sluice.bench.FakeUpstream;
import dev.sluice.bench.Script;
import dev.sluice.gateway.SluiceApplication;
import dev.sluice.gateway.testing.ExternalServices;
import dev.sluice.gateway.testing.SseEvents;
import io.r2dbc.spi.ConnectionFactories;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A graceful shutdown in the middle of a load: every reply a client saw completed is in the database. */
class GracefulShutdownIT {

    private static final FakeUpstream upstream = FakeUpstream.start();
    private static final int CHATS = 8;

    @AfterAll
    static void stopUpstream() {
        upstream.close();
    }

    @Test
    void closingTheApplicationDuringLoadLeavesNoCompletedReplyUnstored() {
        upstream.defaultScript(Script.tokens(10).every(Duration.ofMillis(100)));
        ConfigurableApplicationContext app = new SpringApplicationBuilder(SluiceApplication.class)
                // As arguments: they win over application.yml's embedded database, as the environment would.
                .run(properties().entrySet().stream().map(p -> "--" + p.getKey() + "=" + p.getValue()).toArray(String[]::new));
        int port = ((WebServerApplicationContext) app).getWebServer().getPort();
        WebClient client = WebClient.create("http://127.0.0.1:" + port);
        List<String> completed = new CopyOnWriteArrayList<>();
        java.util.Set<Integer> started = java.util.concurrent.ConcurrentHashMap.newKeySet();
        // One request alone first: Jackson builds its deserializers under a lock on first use, which BlockHound
        // reports when several cold requests race for it.
        client.post().uri("/api/v1/chat").contentType(MediaType.APPLICATION_JSON).bodyValue("{\"model\":\"fake\",\"prompt\":\"Warm\"}")
                .retrieve().bodyToFlux(String.class).blockLast(Duration.ofSeconds(10));

        Flux.range(0, CHATS)
                .flatMap(i -> client.post().uri("/api/v1/chat").contentType(MediaType.APPLICATION_JSON)
                        .bodyValue("{\"model\":\"fake\",\"prompt\":\"Load " + i + "\"}")
                        .retrieve().bodyToFlux(SseEvents.TYPE)
                        .filter(event -> event.data() != null)
                        .doOnNext(event -> {
                            if ("token".equals(event.event())) {
                                started.add(i);
                            }
                            if ("done".equals(event.event())) {
                                completed.add(SseEvents.json(event).path("message_id").asString());
                            }
                        })
                        .onErrorResume(failure -> Flux.empty()))
                .subscribe();
        await().atMost(Duration.ofSeconds(10)).until(() -> started.size() >= CHATS);
        AtomicInteger completedWhenNotReady = new AtomicInteger(-1);
        app.addApplicationListener(event -> {
            if (event instanceof AvailabilityChangeEvent<?> change && change.getState() == ReadinessState.REFUSING_TRAFFIC) {
                completedWhenNotReady.set(completed.size());
            }
        });

        app.close();

        assertThat(completedWhenNotReady.get()).as("readiness went down first, while the streams were still running")
                .isBetween(0, CHATS - 1);
        assertThat(completed).as("the graceful shutdown let the streams in flight finish").hasSize(CHATS);
        DatabaseClient direct = DatabaseClient.create(ConnectionFactories.get(ExternalServices.get().r2dbcUrl()));
        Long stored = Flux.fromIterable(completed)
                .flatMap(id -> direct.sql("SELECT status FROM messages WHERE id = :id").bind("id", UUID.fromString(id))
                        .map((row, metadata) -> row.get("status", String.class)).all())
                .filter("ok"::equals)
                .count()
                .block(Duration.ofSeconds(10));
        assertThat(stored).as("every completed reply was flushed before the application stopped").isEqualTo(CHATS);
    }

    private static Map<String, Object> properties() {
        Map<String, Object> properties = new HashMap<>(ExternalServices.get().springProperties());
        properties.put("server.port", "0");
        properties.put("sluice.providers.fake.type", "openai");
        properties.put("sluice.providers.fake.base-url", upstream.baseUrl());
        properties.put("sluice.providers.fake.api-keys", "test-key-1");
        properties.put("sluice.providers.fake.models", "*");
        properties.put("sluice.aliases.fake.targets", "fake/fake-model");
        properties.put("sluice.status.probe-interval", "0s");
        // It chats as the anonymous user, whose daily quota every run of the day spends in the shared database, from
        // 127.0.0.1, whose per-IP budget in the shared Redis other tests spend too: neither is under test here.
        properties.put("sluice.quotas.daily-requests", "100000000");
        properties.put("sluice.quotas.daily-tokens", "100000000000");
        properties.put("sluice.limits.per-ip.requests-per-minute", "1000000");
        properties.put("sluice.limits.per-user.requests-per-minute", "1000000");
        return properties;
    }
}
