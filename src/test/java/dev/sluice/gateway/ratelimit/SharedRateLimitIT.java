package dev.sluice.gateway.ratelimit;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import dev.sluice.gateway.testing.ExternalServices;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpHeaders;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static dev.sluice.gateway.ratelimit.TestClients.FORWARDED_FOR;
import static org.assertj.core.api.Assertions.assertThat;

/** Replicas sharing one Redis share one budget: an account gets exactly its limit, however its requests are spread. */
class SharedRateLimitIT {

    private static final int PER_USER = 20;
    private static final int REQUESTS = 100;

    private final String redisUrl = ExternalServices.get().redisUrl();
    private List<Replica> replicas;

    @BeforeEach
    void start() {
        String[] limits = {"--sluice.limits.per-user.requests-per-minute=" + PER_USER,
                "--sluice.limits.per-ip.requests-per-minute=1000000",
                // This test is about sharing one budget; on a build machine busy with other builds a cold
                // replica can miss the 200 ms default, and that path has tests of its own.
                "--sluice.limits.redis-timeout=5s"};
        replicas = List.of(Replica.start(redisUrl, limits), Replica.start(redisUrl, limits));
    }

    @AfterEach
    void stop() {
        replicas.forEach(Replica::close);
    }

    @Test
    void parallelRequestsForOneAccountOverTwoReplicasStopExactlyAtTheLimit() {
        warmUp();
        double[] fallbacksBefore = replicas.stream().mapToDouble(SharedRateLimitIT::fallbacks).toArray();
        TestClients.Account account = TestClients.newAccount(replicas.get(0).web(), TestClients.freshIp());

        long started = System.nanoTime();
        List<Integer> statuses = Flux.range(0, REQUESTS)
                .flatMap(i -> models(replicas.get(i % 2), account.accessToken()), REQUESTS)
                .collectList()
                .block(Duration.ofSeconds(30));
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        // Greedy refill gives a token back every 60/limit seconds (3 s here), so a burst that a busy machine
        // stretches past that may rightly see one more success per 3 s; a quick one sees exactly the limit.
        long refilled = took.toMillis() * PER_USER / 60_000;
        Map<Integer, Long> byStatus = statuses.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        assertThat(byStatus).as("%d requests in %d ms: one budget of %d over both replicas, not %d per replica",
                        REQUESTS, took.toMillis(), PER_USER, PER_USER)
                .containsOnlyKeys(200, 429);
        assertThat(byStatus.get(200)).as("successes within %d ms", took.toMillis())
                .isBetween((long) PER_USER, PER_USER + refilled);
        assertThat(byStatus.get(200) + byStatus.get(429)).isEqualTo(REQUESTS);
        for (int i = 0; i < replicas.size(); i++) {
            assertThat(fallbacks(replicas.get(i))).as("every decision made in Redis, none locally").isEqualTo(fallbacksBefore[i]);
        }
        Duration ttl = replicas.get(0).bean(ReactiveStringRedisTemplate.class)
                .getExpire(RedisBuckets.key(LimitScope.PER_USER, PER_USER, account.id())).block(Duration.ofSeconds(5));
        assertThat(ttl).as("the account's bucket leaves Redis soon after it would be full again")
                .isPositive().isLessThanOrEqualTo(Duration.ofSeconds(70));
    }

    /** Fresh JVMs answer their first requests slowly (class loading, the interpreter); the burst is about warm replicas. */
    private void warmUp() {
        String token = TestClients.newAccount(replicas.get(0).web(), TestClients.freshIp()).accessToken();
        Flux.range(0, 100).flatMap(i -> models(replicas.get(i % 2), token), 8).blockLast(Duration.ofSeconds(60));
    }

    /** {@code GET /v1/models} as the account, each time from a new address, so that only the per-user limit binds. */
    private static Mono<Integer> models(Replica replica, String token) {
        return replica.client().get().uri("/v1/models")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
                .header(FORWARDED_FOR, TestClients.freshIp())
                .exchangeToMono(response -> response.releaseBody().thenReturn(response.statusCode().value()));
    }

    private static double fallbacks(Replica replica) {
        return replica.bean(MeterRegistry.class).get("sluice.ratelimit.fallback").counter().count();
    }
}
