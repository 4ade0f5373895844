package dev.sluice.gateway.status;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.sluice.bench.FakeUpstream;
import dev.sluice.gateway.provider.key.KeyPool;
import dev.sluice.gateway.testing.GlobalVirtualTime;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.netty.handler.codec.http.HttpHeaderNames;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.LoopResources;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The probe schedule on Reactor's timer (virtual time), the check of refused keys, and the monitor's lifecycle. */
@GlobalVirtualTime
class ProviderStatusMonitorTests {

    private static final Instant START = Instant.parse("2025-03-01T12:00:00Z");

    private final SteppedClock clock = new SteppedClock(START);

    @Test
    void probesRunAtOnceAndThenEveryInterval() {
        ProviderStatusMonitor monitor = monitor(Duration.ofSeconds(30), List.of(ProbeTarget.inProcess("demo")), "demo");

        StepVerifier.withVirtualTime(monitor::probes)
                .assertNext(result -> assertThat(result.provider()).as("the first round runs at startup").isEqualTo("demo"))
                .expectNoEvent(Duration.ofSeconds(29))
                .thenAwait(Duration.ofSeconds(1))
                .assertNext(result -> assertThat(result.reachable()).isTrue())
                .thenCancel()
                .verify();
        assertThat(monitor.statuses().get(0).lastChecked()).as("probes are recorded").isEqualTo(START);
    }

    @Test
    void aZeroIntervalTurnsProbesOff() {
        ProviderStatusMonitor monitor = monitor(Duration.ZERO, List.of(ProbeTarget.inProcess("demo")), "demo");

        StepVerifier.withVirtualTime(monitor::probes).verifyComplete();
    }

    @Test
    void aRoundOutlastingTheIntervalSkipsTicksInsteadOfQueueingThem() {
        LoopResources loops = LoopResources.create("silent-upstream", 1, true);
        // A real socket that accepts and never answers; the probe's timeout runs on virtual time.
        DisposableServer silent = HttpServer.create().host("127.0.0.1").port(0).runOn(loops)
                .handle((request, response) -> Mono.never())
                .bindNow(Duration.ofSeconds(5));
        try {
            ProbeTarget target = new ProbeTarget("slow", URI.create("http://127.0.0.1:" + silent.port() + "/models"),
                    Duration.ofSeconds(70));
            ProviderStatusMonitor monitor = monitor(Duration.ofSeconds(30), List.of(target), "slow");

            StepVerifier.withVirtualTime(monitor::probes)
                    .expectSubscription()
                    .expectNoEvent(Duration.ofSeconds(69))
                    .thenAwait(Duration.ofSeconds(1))
                    .assertNext(result -> assertThat(result.failure()).isEqualTo("no answer within 70000 ms"))
                    // Queued ticks would start the next round at once and end it at 140 s; dropped, it
                    // starts with the tick at 90 s and ends at 160 s.
                    .expectNoEvent(Duration.ofSeconds(89))
                    .as("the ticks at 30 s and 60 s were skipped")
                    .thenAwait(Duration.ofSeconds(1))
                    .assertNext(result -> assertThat(result.reachable()).isFalse())
                    .thenCancel()
                    .verify();
            assertThat(monitor.statuses().get(0).status()).isEqualTo(Availability.DOWN);
        }
        finally {
            silent.disposeNow(Duration.ofSeconds(5));
            loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(5));
        }
    }

    @Test
    void statusesAreSortedByName() {
        ProviderStatusMonitor monitor = monitor(Duration.ZERO, List.of(), "zeta", "alpha", "mistral");

        assertThat(monitor.statuses()).extracting(ProviderStatus::name).containsExactly("alpha", "mistral", "zeta");
    }

    @Test
    void theMonitorProbesFromStartUntilStop() {
        ProviderStatusMonitor monitor = monitor(Duration.ofSeconds(30), List.of(ProbeTarget.inProcess("demo")), "demo");

        monitor.start();
        assertThat(monitor.isRunning()).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> monitor.statuses().get(0).lastChecked() != null);
        monitor.stop();

        assertThat(monitor.isRunning()).isFalse();
        assertThat(monitor.statuses().get(0).status()).isEqualTo(Availability.UP);
    }

    @Test
    void aRefusedKeyIsTriedEachRoundWithItsCredentialsAndReturnsWhenTheProviderTakesItAgain() {
        try (FakeUpstream upstream = FakeUpstream.start()) {
            KeyPool keys = new KeyPool("groq", List.of("key-a", "key-b"));
            KeyPool.Lease lease = keys.acquire("m");
            lease.disable();
            lease.release();
            String refused = lease.key();
            upstream.refuseKeys(refused);
            KeyRecheck check = new KeyRecheck("groq", keys, ProbeTarget.modelsUri(URI.create(upstream.baseUrl())),
                    (headers, key) -> headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + key), Duration.ofSeconds(5));
            ProviderStatusMonitor monitor = monitor(Duration.ofSeconds(30), List.of(), List.of(check), "groq");

            monitor.probeRound().blockLast(Duration.ofSeconds(10));
            assertThat(upstream.modelListKeys()).as("an authenticated GET of the model list, refused key only")
                    .containsExactly(refused);
            assertThat(keys.refusedKeys()).as("still refused: it stays out").isEqualTo(1);

            upstream.acceptAllKeys();
            monitor.probeRound().blockLast(Duration.ofSeconds(10));

            assertThat(keys.refusedKeys()).as("taken again: back in rotation").isZero();
            assertThat(keys.usableKeys("m")).isEqualTo(2);
        }
    }

    private ProviderStatusMonitor monitor(Duration interval, List<ProbeTarget> targets, String... providers) {
        return monitor(interval, targets, List.of(), providers);
    }

    private ProviderStatusMonitor monitor(Duration interval, List<ProbeTarget> targets, List<KeyRecheck> keyChecks,
            String... providers) {
        StatusProperties properties = new StatusProperties(interval, Duration.ofSeconds(3), Duration.ofSeconds(2),
                Duration.ofHours(24), 100, Duration.ofMinutes(5), 0.25, Duration.ofDays(30));
        Map<String, CircuitBreaker> breakers = new TreeMap<>();
        for (String provider : providers) {
            breakers.put(provider, CircuitBreaker.ofDefaults(provider));
        }
        return new ProviderStatusMonitor(breakers, targets, keyChecks, new ProviderProbe(), properties, clock,
                round -> Mono.empty());
    }
}
