package dev.sluice.gateway.security;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import dev.sluice.gateway.testing.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.ScanOptions;
import org.springframework.test.context.TestPropertySource;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 12, point 3: forwarded headers are believed from trusted proxies only, also on Kubernetes, where Spring
 * Boot would turn Reactor Netty's own forwarded-header handling on by itself. A small per-IP limit makes a fresh
 * budget per spoofed header visible at once.
 */
@TestPropertySource(properties = {"spring.main.cloud-platform=kubernetes",
        "sluice.limits.per-ip.requests-per-minute=" + SecurityRegressionForwardedIT.PER_IP})
class SecurityRegressionForwardedIT extends IntegrationTest {

    static final int PER_IP = 20;
    private static final int FLOOD = 10_000;

    @Autowired
    ReactiveStringRedisTemplate redis;

    @Test
    void spoofedForwardedHeadersFromAnUntrustedPeerDoNotBuyAFreshBudget() {
        WebClient attacker = Peers.from(Peers.untrustedLoopback(), port);
        long started = System.nanoTime();

        List<Integer> statuses = Flux.range(0, 2 * PER_IP)
                .concatMap(i -> spoofed(attacker))
                .collectList().block(Duration.ofSeconds(60));

        assertThat(statuses.subList(0, PER_IP)).as("the socket's address has its budget").containsOnly(200);
        assertThat(statuses.stream().filter(status -> status == 200).count())
                .as("one budget of %d for the socket's address, whatever the headers say (and what refilled meanwhile)", PER_IP)
                .isBetween((long) PER_IP, PER_IP + refilledSince(started));
        assertThat(statuses).containsOnly(200, 429);
    }

    @Test
    void tenThousandSpoofedForwardedHeadersCountAsOneAddressAndLeaveNoBucketsBehind() {
        WebClient attacker = Peers.from(Peers.untrustedLoopback(), port);
        long started = System.nanoTime();

        Map<Integer, Long> byStatus = Flux.range(0, FLOOD)
                .flatMap(i -> spoofed(attacker), 32)
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()))
                .block(Duration.ofMinutes(3));

        long refilled = refilledSince(started);
        assertThat(byStatus).as("only 200 and 429").containsOnlyKeys(200, 429);
        assertThat(byStatus.get(200)).as("the budget of one address (and what refilled meanwhile)")
                .isBetween((long) PER_IP, PER_IP + refilled);
        assertThat(byStatus.get(429)).isEqualTo(FLOOD - byStatus.get(200));
        Long spoofedBuckets = redis.scan(ScanOptions.scanOptions().match("sluice:ratelimit:per-ip:*:10.*").count(1000).build())
                .count().block(Duration.ofSeconds(30));
        assertThat(spoofedBuckets).as("no bucket for any address a header named").isZero();
        web.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
        // A client behind the trusted proxy (127.0.0.1) is still told apart by the proxy's header.
        web.get().uri("/v1/models").header("X-Forwarded-For", Peers.benchmarkAddress()).exchange().expectStatus().isOk();
    }

    /** Greedy refill: a request back every 60 / {@value #PER_IP} seconds. */
    private static long refilledSince(long started) {
        return Duration.ofNanos(System.nanoTime() - started).toSeconds() * PER_IP / 60 + 1;
    }

    /** {@code GET /v1/models} naming a random client in both forwarded headers. */
    private static Mono<Integer> spoofed(WebClient client) {
        return client.get().uri("/v1/models")
                .header("Forwarded", "for=" + Peers.randomPrivateAddress() + ";proto=https;host=sluice.example")
                .header("X-Forwarded-For", Peers.randomPrivateAddress())
                .exchangeToMono(response -> response.releaseBody().thenReturn(response.statusCode().value()));
    }
}
