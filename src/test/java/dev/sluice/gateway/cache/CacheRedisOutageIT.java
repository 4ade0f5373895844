package dev.sluice.gateway.cache;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.sluice.bench.FakeUpstream;
import dev.sluice.bench.Script;
import dev.sluice.gateway.SluiceApplication;
import dev.sluice.gateway.testing.CuttableProxy;
import dev.sluice.gateway.testing.ExternalServices;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A Redis failure is a miss, never an error: Redis cut away in the middle of a load (through a proxy that closes its
 * connections and refuses new ones), and a Redis that is not there when the gateway starts.
 */
class CacheRedisOutageIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final FakeUpstream upstream = FakeUpstream.start();
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        upstream.close();
    }

    @Test
    void redisCutInTheMiddleOfALoadCostsNoClientAnErrorAndIsMetered() throws Exception {
        URI redis = URI.create(ExternalServices.get().redisUrl());
        CuttableProxy proxy = new CuttableProxy(redis.getHost(), redis.getPort());
        resources.add(proxy);
        ConfigurableApplicationContext gateway = gateway("redis://127.0.0.1:" + proxy.port());
        WebClient client = client(gateway);
        upstream.defaultScript(Script.tokens(8).every(Duration.ofMillis(5)));
        // Ten different questions asked over and over: lookups, hits, misses and writes all go on while Redis goes away.
        String run = UUID.randomUUID().toString();
        AtomicInteger done = new AtomicInteger();
        // One request alone first: Jackson builds its deserializers under a lock on first use, which BlockHound
        // would report as blocking if the load raced for it.
        chat(client, "outage " + run + " warm-up").block(TIMEOUT);

        CompletableFuture<List<ResponseEntity<List<String>>>> load = Flux.range(0, 300)
                .flatMap(i -> chat(client, "outage " + run + " #" + (i % 10)).doOnNext(reply -> done.incrementAndGet()), 16)
                .collectList()
                .toFuture();
        await().atMost(TIMEOUT).until(() -> done.get() >= 60);
        double hitsBeforeCut = counter(gateway, "sluice.cache.requests", "result", "hit");
        proxy.cut();
        List<ResponseEntity<List<String>>> replies = load.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);

        assertThat(hitsBeforeCut).as("the cache worked before the cut").isPositive();
        assertThat(replies).hasSize(300).allSatisfy(reply -> {
            assertThat(reply.getStatusCode().value()).isEqualTo(200);
            assertThat(reply.getBody()).as("a complete stream").last().isEqualTo("[DONE]");
        });
        assertThat(counter(gateway, "sluice.cache.unavailable", "operation", "lookup")).as("the outage is metered").isPositive();

        proxy.restore();
        String again = "outage " + run + " after";
        await().atMost(TIMEOUT).untilAsserted(() -> {
            chat(client, again).block(TIMEOUT);
            assertThat(chat(client, again).block(TIMEOUT).getHeaders().getFirst("X-Sluice-Cache"))
                    .as("back to hits once Redis answers again").isEqualTo("hit");
        });
    }

    @Test
    void aRedisThatIsDownWhenTheGatewayStartsMeansMissesNotErrors() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        ConfigurableApplicationContext gateway = gateway("redis://127.0.0.1:" + closedPort);
        WebClient client = client(gateway);
        String question = "no redis " + UUID.randomUUID();

        for (int i = 0; i < 2; i++) {
            ResponseEntity<List<String>> reply = chat(client, question).block(TIMEOUT);
            assertThat(reply.getStatusCode().value()).isEqualTo(200);
            assertThat(reply.getHeaders().getFirst("X-Sluice-Cache")).isEqualTo("miss");
            assertThat(reply.getBody()).last().isEqualTo("[DONE]");
        }
        assertThat(upstream.requests()).as("nothing could be stored: both went upstream").isEqualTo(2);
        assertThat(counter(gateway, "sluice.cache.unavailable", "operation", "lookup")).isEqualTo(2);
        assertThat(gateway.getBean(MeterRegistry.class).get("sluice.cache.degraded").gauge().value()).isEqualTo(1);
    }

    private ConfigurableApplicationContext gateway(String redisUrl) {
        List<String> args = new ArrayList<>();
        // The database as every integration test has it; Redis is this test's own (a repeated argument would be a list).
        ExternalServices.get().springProperties().forEach((name, value) -> {
            if (!name.equals("spring.data.redis.url")) {
                args.add("--" + name + "=" + value);
            }
        });
        args.addAll(List.of(
                "--server.port=0",
                "--spring.data.redis.url=" + redisUrl,
                // The cache alone under test: rate limits would fall back on their own, quotas are not about Redis.
                "--sluice.limits.enabled=false",
                "--sluice.quotas.enabled=false",
                "--sluice.providers.outage.type=openai",
                "--sluice.providers.outage.base-url=" + upstream.baseUrl(),
                "--sluice.providers.outage.api-keys=k",
                "--sluice.aliases.outage.targets=outage/m"));
        ConfigurableApplicationContext context = new SpringApplicationBuilder(SluiceApplication.class).run(args.toArray(String[]::new));
        resources.add(context);
        return context;
    }

    private static WebClient client(ConfigurableApplicationContext gateway) {
        return WebClient.create("http://127.0.0.1:" + ((WebServerApplicationContext) gateway).getWebServer().getPort());
    }

    private static Mono<ResponseEntity<List<String>>> chat(WebClient client, String question) {
        return client.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"outage\",\"stream\":true,\"temperature\":0,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"" + question + "\"}]}")
                .retrieve().toEntityList(String.class);
    }

    private static double counter(ConfigurableApplicationContext gateway, String name, String tag, String value) {
        return gateway.getBean(MeterRegistry.class).get(name).tag(tag, value).counter().count();
    }
}
