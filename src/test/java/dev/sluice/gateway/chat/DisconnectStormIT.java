package dev.sluice.gateway.chat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;

import dev.sluice.bench.FakeUpstream;
import dev.sluice.bench.Script;
import dev.sluice.gateway.testing.IntegrationTest;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A disconnect storm: a thousand clients on real sockets leave at once, half while their provider is still thinking
 * about the first token and half in the middle of the stream. Every upstream call they started is cancelled (the fake
 * upstream sees its connection closed), and nothing is left open, upstream or in the gateway.
 * <p>
 * The provider {@code storm} has a fake upstream of its own, so that its counts are this test's alone, with room for
 * every call at once and timeouts far longer than the test: only the clients' leaving ends the calls.
 */
class DisconnectStormIT extends IntegrationTest {

    private static final Logger logger = LoggerFactory.getLogger(DisconnectStormIT.class);
    private static final int EACH = 500;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** How long the gateway may take to close every upstream call once the last client has gone. */
    private static final Duration CANCELLED_WITHIN = Duration.ofSeconds(10);
    /** Clients connect this far apart: all of them at once would overflow the server's accept backlog. */
    private static final Duration OPENING_PACE = Duration.ofMillis(2);
    private static final FakeUpstream storm = FakeUpstream.start();

    @Autowired
    MeterRegistry registry;

    @DynamicPropertySource
    static void stormProvider(DynamicPropertyRegistry registry) {
        registry.add("sluice.providers.storm.type", () -> "openai");
        registry.add("sluice.providers.storm.base-url", storm::baseUrl);
        registry.add("sluice.providers.storm.api-keys", () -> "storm-key");
        registry.add("sluice.providers.storm.models", () -> "*");
        registry.add("sluice.providers.storm.max-concurrency", () -> Integer.toString(4 * EACH));
        registry.add("sluice.providers.storm.timeouts.first-token", () -> "120s");
        registry.add("sluice.providers.storm.timeouts.idle", () -> "120s");
        registry.add("sluice.aliases.storm.targets", () -> "storm/storm-model");
        registry.add("sluice.limits.per-user.max-concurrent-streams", () -> Integer.toString(4 * EACH));
    }

    @AfterAll
    static void stopStorm() {
        storm.close();
    }

    @Test
    void aThousandClientsLeavingBeforeTheFirstTokenAndMidStreamCancelEveryUpstreamCallAndLeaveNoneOpen() {
        storm.reset();
        // The first EACH calls after the warm-up (queued below) wait for a first token that would come long after the
        // test. The next ones stream slowly, for minutes: their clients leave after the third chunk.
        storm.defaultScript(Script.tokens(2000).every(Duration.ofMillis(500)));
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        // Bounded, and large enough that every client has its own connection at once.
        ConnectionProvider pool = ConnectionProvider.builder("storm-clients").maxConnections(2 * EACH)
                .pendingAcquireMaxCount(2 * EACH).pendingAcquireTimeout(TIMEOUT).build();
        WebClient clients = WebClient.builder().baseUrl("http://127.0.0.1:" + port)
                .clientConnector(new ReactorClientHttpConnector(HttpClient.create(pool))).build();
        try {
            // One request alone first: Jackson builds its deserializers under a lock on first use, which BlockHound
            // would report as blocking if the storm raced for it. To the other upstream, so that the storm's starts
            // without a connection.
            assertThat(chat(clients, "fake", "warm-up").collectList().block(TIMEOUT)).isNotEmpty();
            for (int i = 0; i < EACH; i++) {
                storm.enqueue(Script.tokens(10).firstTokenAfter(Duration.ofMinutes(5)));
            }

            List<Disposable> waiting = Flux.range(0, EACH).delayElements(OPENING_PACE)
                    .map(i -> chat(clients, "storm", "waiting " + i).subscribe(null, failures::add))
                    .collectList()
                    .block(TIMEOUT);
            await().atMost(TIMEOUT).untilAsserted(() -> assertThat(storm.requests())
                    .as("every waiting client's call reached the upstream; client failures: %s", summary(failures))
                    .isEqualTo(EACH));

            Disposable streaming = Flux.range(0, EACH).delayElements(OPENING_PACE)
                    .flatMap(i -> chat(clients, "storm", "streaming " + i).take(3), EACH)
                    .subscribe(null, failures::add);
            await().atMost(TIMEOUT).untilAsserted(() -> assertThat(storm.requests())
                    .as("every streaming client's call reached the upstream; client failures: %s", summary(failures))
                    .isEqualTo(2 * EACH));
            // While the streaming clients leave after their third chunk, the waiting ones all hang up at once.
            waiting.forEach(Disposable::dispose);
            await().atMost(TIMEOUT).until(streaming::isDisposed);
            long lastLeft = System.nanoTime();

            await().atMost(CANCELLED_WITHIN).untilAsserted(() -> {
                assertThat(storm.cancelledStreams()).as("every call whose client left is cancelled")
                        .isEqualTo(2 * EACH);
                assertThat(storm.openConnections()).as("the upstream sees every connection closed").isZero();
            });
            logger.info("Disconnect storm: every upstream call closed within {} ms of the last client leaving",
                    Duration.ofNanos(System.nanoTime() - lastLeft).toMillis());
            assertThat(summary(failures)).as("no client saw an error before it left").isEmpty();
            assertThat(storm.completedStreams()).as("no call ran to its end").isZero();
            // The status probe's connections close too, and count here.
            assertThat(storm.closedConnections()).isGreaterThanOrEqualTo(2 * EACH);
            await().atMost(CANCELLED_WITHIN).untilAsserted(() -> {
                assertThat(registry.get("sluice.bulkhead.in.use").tag("provider", "storm").gauge().value())
                        .as("no permit still held").isZero();
                assertThat(registry.get("sluice.streams.active").gauge().value()).as("no reply still routed").isZero();
            });
        }
        finally {
            pool.disposeLater().block(TIMEOUT);
        }
    }

    /** What went wrong, by kind: a thousand stack traces would bury it. */
    private static Map<String, Long> summary(Queue<Throwable> failures) {
        return failures.stream().collect(Collectors.groupingBy(
                failure -> failure.getClass().getSimpleName() + ": " + NestedExceptionUtils.getMostSpecificCause(failure),
                TreeMap::new, Collectors.counting()));
    }

    private static Flux<String> chat(WebClient clients, String model, String prompt) {
        return clients.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("""
                        {"model":"%s","stream":true,"messages":[{"role":"user","content":"%s"}]}""".formatted(model, prompt))
                .retrieve()
                .bodyToFlux(String.class);
    }
}
