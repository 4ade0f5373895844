package dev.sluice.gateway.ratelimit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.sluice.gateway.testing.GlobalVirtualTime;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When Redis errs or answers nothing, limits go on per replica: degraded, counted, logged once, and shared again when
 * it is back. When it is only busy, a decision it is late with is a refusal, never a local admission.
 */
@ExtendWith(OutputCaptureExtension.class)
@GlobalVirtualTime
class FallbackBucketsTests {

    private static final String DEGRADED = "Rate limits are per replica until Redis answers again";
    private static final String RECOVERED = "Redis answers again: rate limits are shared";

    private final ManualClock clock = new ManualClock();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final LocalBuckets local = new LocalBuckets(LocalBucketsTests.limits(2, 2), clock, 1_000, null);
    private final FakeShared redis = new FakeShared(clock);
    private final FallbackBuckets buckets = new FallbackBuckets(redis, local, registry, Duration.ofMillis(200),
            Duration.ofSeconds(1), clock::currentTimeNanos);

    @Test
    void whileRedisAnswersItsDecisionsAreTheAnswer() {
        StepVerifier.create(buckets.tryConsume(LimitScope.PER_IP, "203.0.113.1"))
                .assertNext(decision -> assertThat(decision.remaining()).as("from Redis").isEqualTo(41))
                .verifyComplete();
        assertThat(fallbacks()).isZero();
    }

    @Test
    void aTokenThisReplicaHoldsDecidesAtOnceWithoutWaitingForRedis() {
        redis.stall();
        redis.holdTokens();

        RateLimitDecision decision = buckets.tryConsumeNow(LimitScope.PER_USER, "user-1");

        assertThat(decision).as("made on the caller's thread, from the held token").isNotNull();
        assertThat(decision.allowed()).isTrue();
        assertThat(redis.calls.get()).as("Redis not asked").isZero();
        assertThat(fallbacks()).isZero();
    }

    @Test
    void aFailingRedisFallsBackToLocalBudgetsThatStillRefuse() {
        redis.fail();

        for (int i = 0; i < 2; i++) {
            StepVerifier.create(buckets.tryConsume(LimitScope.PER_IP, "203.0.113.1"))
                    .assertNext(decision -> assertThat(decision.allowed()).isTrue()).verifyComplete();
        }
        StepVerifier.create(buckets.tryConsume(LimitScope.PER_IP, "203.0.113.1"))
                .assertNext(decision -> assertThat(decision.allowed()).as("neither wide open").isFalse())
                .verifyComplete();

        assertThat(buckets.degraded()).isTrue();
        assertThat(fallbacks()).as("every local decision is counted").isEqualTo(3);
        assertThat(registry.get("sluice.ratelimit.degraded").gauge().value()).isEqualTo(1);
    }

    @Test
    void aDecisionABusyRedisIsLateWithIsARefusalNotALocalAdmission() {
        redis.stall();
        StepVerifier.withVirtualTime(() -> {
                    Mono<RateLimitDecision> late = buckets.tryConsume(LimitScope.PER_USER, "user-1");
                    clock.advance(Duration.ofMillis(50));
                    redis.answer();
                    buckets.tryConsume(LimitScope.PER_USER, "user-2").block(); // Redis answers others meanwhile
                    return late;
                })
                .expectSubscription()
                .thenAwait(Duration.ofMillis(200))
                .assertNext(decision -> {
                    assertThat(decision.allowed()).as("refused: a busy Redis must not loosen the shared limit").isFalse();
                    assertThat(decision.scope()).isEqualTo(LimitScope.PER_USER);
                    assertThat(decision.retryAfterSeconds()).isEqualTo(1);
                })
                .verifyComplete();
        assertThat(buckets.degraded()).as("busy is not gone").isFalse();
        assertThat(fallbacks()).as("nothing decided locally").isZero();
        assertThat(registry.get("sluice.ratelimit.slow").counter().count()).isEqualTo(1);
    }

    @Test
    void aRedisThatAnswersNothingInTimeFallsBackAfterTheTimeout() {
        redis.stall();

        StepVerifier.withVirtualTime(() -> buckets.tryConsume(LimitScope.PER_USER, "user-1"))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(199))
                .thenAwait(Duration.ofMillis(1))
                .assertNext(decision -> assertThat(decision.remaining()).as("from the local bucket").isEqualTo(1))
                .verifyComplete();
        assertThat(buckets.degraded()).isTrue();
    }

    @Test
    void whileDegradedRedisIsTriedOnlyOnceASecond() {
        redis.stall();
        StepVerifier.withVirtualTime(() -> buckets.tryConsume(LimitScope.PER_IP, "a"))
                .thenAwait(Duration.ofMillis(200)).expectNextCount(1).verifyComplete();
        int triesSoFar = redis.calls.get();

        for (int i = 0; i < 50; i++) {
            buckets.decide(LimitScope.PER_IP, "b" + i).block(Duration.ofSeconds(1));
        }
        assertThat(redis.calls.get()).as("a slow Redis must not slow every request down").isEqualTo(triesSoFar);

        clock.advance(Duration.ofSeconds(1));
        redis.answer();
        buckets.decide(LimitScope.PER_IP, "c").block(Duration.ofSeconds(1));
        assertThat(redis.calls.get()).as("one request tries again after a second").isEqualTo(triesSoFar + 1);
    }

    @Test
    void aSettlementRedisDoesNotTakeIsCountedLoggedOnceAndDroppedWithoutDegrading(CapturedOutput output) {
        redis.fail();

        for (int i = 0; i < 3; i++) {
            StepVerifier.create(buckets.settle(LimitScope.PER_KEY_TOKENS, Buckets.sized(100, "key-a"), 60, 10))
                    .as("never fails the call that ended").verifyComplete();
        }

        assertThat(registry.get("sluice.ratelimit.settlements.failed").counter().count()).isEqualTo(3);
        assertThat(occurrences(output.getAll(), "A rate-limit settlement was not taken by Redis")).as("logged once")
                .isEqualTo(1);
        assertThat(buckets.degraded()).as("the next decision finds out whether Redis is gone").isFalse();
    }

    @Test
    void whileDegradedASettlementGoesToTheLocalBucketsThatDecided() {
        redis.fail();
        String key = Buckets.sized(100, "key-a");
        assertThat(buckets.tryConsume(LimitScope.PER_KEY_TOKENS, key, 60).block().allowed()).isTrue();
        int askedRedis = redis.calls.get();

        buckets.settle(LimitScope.PER_KEY_TOKENS, key, 60, 10).block();

        assertThat(redis.calls.get()).as("Redis not asked").isEqualTo(askedRedis);
        assertThat(local.tryConsume(LimitScope.PER_KEY_TOKENS, key, 1).block().remaining()).as("100 - 10 - 1").isEqualTo(89);
    }

    @Test
    void degradationAndRecoveryAreLoggedOnceEach(CapturedOutput output) {
        redis.fail();
        for (int i = 0; i < 20; i++) {
            buckets.tryConsume(LimitScope.PER_IP, "203.0.113.1").block(Duration.ofSeconds(1));
            clock.advance(Duration.ofSeconds(1)); // so that every request tries Redis, and fails, again
        }
        redis.answer();
        for (int i = 0; i < 5; i++) {
            buckets.tryConsume(LimitScope.PER_IP, "203.0.113.1").block(Duration.ofSeconds(1));
        }

        assertThat(occurrences(output.getAll(), DEGRADED)).as("logged once, not per request").isEqualTo(1);
        assertThat(occurrences(output.getAll(), RECOVERED)).isEqualTo(1);
        assertThat(output.getAll()).as("says why").contains("connection refused");
        assertThat(buckets.degraded()).isFalse();
        assertThat(registry.get("sluice.ratelimit.degraded").gauge().value()).isZero();
    }

    @Test
    void aFlappingRedisIsLoggedOnceAMinuteNotOnceAFlap(CapturedOutput output) {
        for (int flap = 0; flap < 10; flap++) {
            redis.fail();
            buckets.tryConsume(LimitScope.PER_IP, "203.0.113.1").block(Duration.ofSeconds(1));
            clock.advance(Duration.ofSeconds(1));
            redis.answer();
            buckets.tryConsume(LimitScope.PER_IP, "203.0.113.1").block(Duration.ofSeconds(1));
        }
        assertThat(occurrences(output.getAll(), DEGRADED)).isEqualTo(1);
        assertThat(occurrences(output.getAll(), RECOVERED)).as("paired with the degradation it ends").isEqualTo(1);

        clock.advance(Duration.ofMinutes(1));
        redis.fail();
        buckets.tryConsume(LimitScope.PER_IP, "203.0.113.1").block(Duration.ofSeconds(1));

        assertThat(occurrences(output.getAll(), DEGRADED)).as("a minute later it is news again").isEqualTo(2);
        assertThat(fallbacks()).as("while every local decision is still counted").isEqualTo(11);
    }

    private double fallbacks() {
        return registry.get("sluice.ratelimit.fallback").counter().count();
    }

    private static int occurrences(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            count++;
        }
        return count;
    }

    /** Redis as the fallback sees it: answers, fails at once, or never answers; and holds tokens ahead, or none. */
    private static final class FakeShared implements SharedBuckets {

        private final ManualClock clock;
        private final AtomicReference<Mono<RateLimitDecision>> behaviour = new AtomicReference<>();
        final AtomicInteger calls = new AtomicInteger();
        private volatile long lastAnswer;
        private volatile boolean holding;

        FakeShared(ManualClock clock) {
            this.clock = clock;
            this.lastAnswer = clock.currentTimeNanos() - Duration.ofMinutes(1).toNanos();
            answer();
        }

        void answer() {
            behaviour.set(Mono.fromSupplier(() -> {
                lastAnswer = clock.currentTimeNanos();
                return new RateLimitDecision(LimitScope.PER_IP, true, 42, 41, 2, 0);
            }));
        }

        void fail() {
            behaviour.set(Mono.error(new IllegalStateException("connection refused")));
        }

        void stall() {
            behaviour.set(Mono.never());
        }

        void holdTokens() {
            holding = true;
        }

        @Override
        public RateLimitDecision tryConsumeNow(LimitScope scope, String key) {
            return holding ? RateLimitDecision.allowed(scope, 42, 40) : null;
        }

        @Override
        public Mono<RateLimitDecision> tryConsume(LimitScope scope, String key, long amount) {
            return tryConsume(scope, key);
        }

        @Override
        public Mono<RateLimitDecision> tryConsume(LimitScope scope, String key) {
            calls.incrementAndGet();
            return behaviour.get();
        }

        @Override
        public Mono<Void> settle(LimitScope scope, String key, long charged, long used) {
            calls.incrementAndGet();
            return behaviour.get().then();
        }

        @Override
        public long lastAnswerNanos() {
            return lastAnswer;
        }

        @Override
        public void sweep() {
        }
    }
}
