package dev.sluice.gateway.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.sluice.bench.FakeUpstream;
import dev.sluice.bench.Script;
import dev.sluice.gateway.routing.RoutingHeaders;
import dev.sluice.gateway.testing.ExternalServices;
import dev.sluice.gateway.testing.SseEvents;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three gateways, each in its own JVM, behind the real nginx running {@code nginx/nginx.conf}: streams pass
 * through it unbuffered and spread over the replicas, and a SIGTERM to one replica while it streams loses
 * nothing: its streams finish, and the requests that come meanwhile go to the other two.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class NginxFrontIT {

    private static final int REPLICAS = 3;
    private static final int STREAMS = 9;
    private static final int LATE_STREAMS = 6;
    private static final int TOKENS = 30;

    @TempDir
    Path directory;

    private FakeUpstream upstream;
    private final List<GatewayProcess> gateways = new ArrayList<>();
    private Nginx nginx;

    @AfterEach
    void stopEverything() {
        if (nginx != null) {
            nginx.close();
        }
        gateways.forEach(GatewayProcess::close);
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void nginxSpreadsStreamsAndASigtermedReplicaFinishesItsStreamsWhileTheOthersTakeNewOnes() throws Exception {
        Path binary = Nginx.binary();
        // 30 tokens 100 ms apart: every stream is still running when the replica gets its SIGTERM.
        upstream = FakeUpstream.start(0, Script.tokens(TOKENS).every(Duration.ofMillis(100)));
        for (int i = 0; i < REPLICAS; i++) {
            gateways.add(GatewayProcess.start("gateway-" + i, directory, settings(i)));
        }
        for (GatewayProcess gateway : gateways) {
            await("gateway on port " + gateway.port() + " ready").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(250)).until(gateway::isReady);
        }
        int port = GatewayProcess.freePort();
        Path config = directory.resolve("nginx.conf");
        Files.writeString(config, Nginx.render(gateways.stream().map(GatewayProcess::port).toList(), port, directory));
        nginx = Nginx.start(binary, directory, config);
        WebClient client = WebClient.create("http://127.0.0.1:" + port);
        await("nginx listening").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> nginx.isAlive() && accepts(port));

        // A warm-up through nginx, which also leaves idle keep-alive connections to every replica.
        for (int i = 0; i < REPLICAS * 2; i++) {
            String reply = client.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(body(false, "warm-up " + i)).retrieve().bodyToMono(String.class).block(Duration.ofSeconds(20));
            assertThat(reply).as("a plain request passes through nginx").contains("chat.completion");
        }

        List<Watched> streams = IntStream.range(0, STREAMS).mapToObj(i -> Watched.start(client, "stream " + i)).toList();
        await("every stream has its first token").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> streams.stream().allMatch(stream -> stream.tokens.get() > 0));
        assertThat(streams).as("nginx passes events on at once (none buffered until the end)").noneMatch(Watched::ended);
        Map<String, Long> perReplica = streams.stream().collect(Collectors.groupingBy(Watched::servedBy, Collectors.counting()));
        assertThat(perReplica).as("least_conn spread the streams over every replica: " + perReplica).hasSize(REPLICAS);

        String victimProvider = provider(0);
        GatewayProcess victim = gateways.get(0);
        long victimStreams = perReplica.get(victimProvider + "/fake-model");
        victim.process().destroy(); // SIGTERM

        await("the replica refuses new connections").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> !victim.acceptsConnections());
        List<Watched> late = IntStream.range(0, LATE_STREAMS).mapToObj(i -> Watched.start(client, "late " + i)).toList();

        List<Watched> all = new ArrayList<>(streams);
        all.addAll(late);
        await("every stream ended").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> all.stream().allMatch(Watched::ended));
        for (Watched stream : all) {
            assertThat(stream.failure).as(stream.name + " did not fail").isNull();
            assertThat(stream.status).as(stream.name + " status").isEqualTo(200);
            assertThat(stream.tokens.get()).as(stream.name + " got every token").isEqualTo(TOKENS);
            assertThat(stream.done).as(stream.name + " ended with [DONE]").isTrue();
        }
        assertThat(victimStreams).as("the SIGTERM hit a replica in the middle of streaming").isPositive();
        assertThat(late).as("requests during the shutdown went to the other replicas")
                .extracting(Watched::servedBy).doesNotContain(victimProvider + "/fake-model");
        assertThat(victim.process().waitFor(30, TimeUnit.SECONDS)).as("the replica exited after draining:\n" + victim.tail()).isTrue();
        assertThat(victim.output()).as("no error while shutting down").doesNotContain("ERROR");
        // nginx logs each refused connection to the draining replica, then passes the request to the next one.
        assertThat(nginx.errorLog().lines().filter(line -> line.contains("[error]")))
                .as("nginx met no failure but the draining replica's refusals")
                .allMatch(line -> line.contains("Connection refused") && line.contains("127.0.0.1:" + victim.port() + "/"));
    }

    private static boolean accepts(int port) {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 500);
            return true;
        }
        catch (java.io.IOException refused) {
            return false;
        }
    }

    private static String provider(int replica) {
        return "fake" + replica;
    }

    /** Each replica calls the same fake through its own provider name, so X-Sluice-Provider says which replica served. */
    private Map<String, Object> settings(int replica) {
        Map<String, Object> settings = new HashMap<>(ExternalServices.get().springProperties());
        String provider = provider(replica);
        settings.put("sluice.providers." + provider + ".type", "openai");
        settings.put("sluice.providers." + provider + ".base-url", upstream.baseUrl());
        settings.put("sluice.providers." + provider + ".api-keys", "test-key");
        settings.put("sluice.providers." + provider + ".models", "*");
        settings.put("sluice.aliases.fake.targets", provider + "/fake-model");
        settings.put("sluice.status.probe-interval", "0s");
        // Shared Redis and database budgets are not what this test is about; other runs may spend them.
        settings.put("sluice.limits.enabled", "false");
        settings.put("sluice.quotas.enabled", "false");
        settings.put("spring.lifecycle.timeout-per-shutdown-phase", "30s");
        return settings;
    }

    private static String body(boolean stream, String prompt) {
        return "{\"model\":\"fake\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    }

    /** One streamed chat through nginx, as its client sees it. */
    private static final class Watched {

        final String name;
        final AtomicInteger tokens = new AtomicInteger();
        volatile int status;
        volatile String servedBy;
        volatile boolean done;
        volatile boolean ended;
        volatile Throwable failure;

        private Watched(String name) {
            this.name = name;
        }

        static Watched start(WebClient client, String name) {
            Watched watched = new Watched(name);
            client.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON).bodyValue(body(true, name))
                    .exchangeToFlux(response -> {
                        watched.status = response.statusCode().value();
                        watched.servedBy = response.headers().asHttpHeaders().getFirst(RoutingHeaders.PROVIDER);
                        return response.bodyToFlux(SseEvents.TYPE);
                    })
                    .timeout(Duration.ofSeconds(30))
                    .subscribe(event -> {
                        if ("[DONE]".equals(event.data())) {
                            watched.done = true;
                        }
                        else if (event.data() != null && SseEvents.json(event).path("choices").path(0).path("delta").has("content")) {
                            watched.tokens.incrementAndGet();
                        }
                    }, failure -> {
                        watched.failure = failure;
                        watched.ended = true;
                    }, () -> watched.ended = true);
            return watched;
        }

        boolean ended() {
            return ended;
        }

        String servedBy() {
            return servedBy == null ? "(none)" : servedBy;
        }
    }
}
