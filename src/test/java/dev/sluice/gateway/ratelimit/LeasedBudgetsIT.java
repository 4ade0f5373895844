package dev.sluice.gateway.ratelimit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import dev.sluice.gateway.testing.ExternalServices;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three replicas' limiters on one Redis, each taking tokens from the shared budget ahead of need ({@link Lease}):
 * a large limit costs far fewer Redis commands than requests and is never over-admitted across replicas.
 */
class LeasedBudgetsIT {

    private final String redisUrl = ExternalServices.get().redisUrl();
    private final List<Limiter> replicas = new ArrayList<>();

    @AfterEach
    void stop() {
        replicas.forEach(replica -> replica.connection.destroy());
    }

    @Test
    void aLargeLimitIsDecidedMostlyWithoutRedisOnEveryReplica() {
        start(3, 1_000_000);
        String account = UUID.randomUUID().toString();
        int perReplica = 3_000;

        long allowed = burst(account, perReplica, 16);

        assertThat(allowed).as("far below the limit: every request admitted").isEqualTo(3L * perReplica);
        double commands = replicas.stream().mapToDouble(Limiter::redisCommands).sum();
        assertThat(commands).as("Redis commands for %d requests over three replicas", 3 * perReplica)
                .isLessThan(3 * perReplica / 10.0);
        assertThat(replicas).allSatisfy(replica -> assertThat(replica.fallbacks()).as("never decided alone").isZero());
    }

    @Test
    void aBurstOverThreeReplicasAdmitsNoMoreThanTheSharedBudgetAndWhatRefilled() {
        int limit = 6_000; // 60 ahead of need per replica at most
        start(3, limit);
        String account = UUID.randomUUID().toString();
        int perReplica = 3_000;

        long started = System.nanoTime();
        long allowed = burst(account, perReplica, 64);
        long tookMillis = Duration.ofNanos(System.nanoTime() - started).toMillis();

        // Design §6 allows 1 % over; a replica only ever spends tokens the shared budget granted it, so none.
        long refilled = tookMillis * limit / 60_000 + 1;
        assertThat(allowed).as("%d requests for a budget of %d over three replicas in %d ms (%d refilled)",
                        3 * perReplica, limit, tookMillis, refilled)
                .isLessThanOrEqualTo(limit + refilled)
                .as("and what the replicas held ahead of need was spent, not lost")
                .isGreaterThanOrEqualTo(limit - 3 * Lease.maxBlock(limit));
        assertThat(replicas).allSatisfy(replica -> assertThat(replica.fallbacks()).as("never decided alone").isZero());
    }

    /** {@code perReplica} requests for {@code account} on every replica at once, {@code concurrency} at a time on each; the admitted. */
    private long burst(String account, int perReplica, int concurrency) {
        return Flux.fromIterable(replicas)
                .flatMap(replica -> Flux.range(0, perReplica)
                        .flatMap(i -> replica.buckets.decide(LimitScope.PER_USER, account), concurrency), replicas.size())
                .filter(RateLimitDecision::allowed)
                .count()
                .block(Duration.ofSeconds(60));
    }

    private void start(int count, int perUser) {
        RateLimitProperties limits = new RateLimitProperties(new RateLimitProperties.Limit(1_000_000),
                new RateLimitProperties.UserLimit(perUser, null), null, null, Duration.ofSeconds(5), true);
        for (int i = 0; i < count; i++) {
            replicas.add(new Limiter(redisUrl, limits));
        }
    }

    /** One replica's limiter: its own Redis connection, as a gateway has. */
    private static final class Limiter {

        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        final RedisBucketConnection connection;
        final FallbackBuckets buckets;

        Limiter(String redisUrl, RateLimitProperties limits) {
            this.connection = new RedisBucketConnection(redisUrl, limits, registry);
            this.buckets = new FallbackBuckets(new RedisBuckets(connection, limits), new LocalBuckets(limits), registry,
                    limits.redisTimeout());
        }

        double redisCommands() {
            return registry.get("sluice.ratelimit.redis.commands").counter().count();
        }

        double fallbacks() {
            return registry.get("sluice.ratelimit.fallback").counter().count();
        }
    }
}
