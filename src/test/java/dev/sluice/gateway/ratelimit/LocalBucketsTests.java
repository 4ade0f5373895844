package dev.sluice.gateway.ratelimit;

import java.time.Duration;

import io.github.bucket4j.TimeMeter;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The in-process budgets: the embedded default's, and every replica's fallback. */
class LocalBucketsTests {

    private final ManualClock clock = new ManualClock();
    private final LocalBuckets buckets = new LocalBuckets(limits(3, 2), clock, 1_000, null);

    @Test
    void aBudgetAllowsItsLimitThenRefuses() {
        for (int i = 2; i >= 0; i--) {
            RateLimitDecision decision = buckets.tryConsumeNow(LimitScope.PER_IP, "203.0.113.1");
            assertThat(decision.allowed()).isTrue();
            assertThat(decision.remaining()).isEqualTo(i);
        }
        RateLimitDecision refused = buckets.tryConsumeNow(LimitScope.PER_IP, "203.0.113.1");

        assertThat(refused.allowed()).as("the fourth request within the minute").isFalse();
        assertThat(refused.retryAfterSeconds()).as("one token comes back every 20 s").isEqualTo(20);
        assertThat(refused.resetSeconds()).isEqualTo(60);
    }

    @Test
    void tokensComeBackGreedilyNotAllAtTheEndOfTheMinute() {
        spend(LimitScope.PER_IP, "203.0.113.1", 3);

        clock.advance(Duration.ofSeconds(20));

        assertThat(buckets.tryConsumeNow(LimitScope.PER_IP, "203.0.113.1").allowed()).isTrue();
        assertThat(buckets.tryConsumeNow(LimitScope.PER_IP, "203.0.113.1").allowed()).isFalse();
    }

    @Test
    void eachKeyAndEachScopeHasItsOwnBudget() {
        spend(LimitScope.PER_IP, "203.0.113.1", 3);

        assertThat(buckets.tryConsumeNow(LimitScope.PER_IP, "203.0.113.2").allowed()).as("another address").isTrue();
        RateLimitDecision user = buckets.tryConsumeNow(LimitScope.PER_USER, "203.0.113.1");
        assertThat(user.allowed()).as("same key, other scope").isTrue();
        assertThat(user.limit()).isEqualTo(2);
    }

    @Test
    void aSizedScopesKeysEachNameTheirOwnLimit() {
        String two = Buckets.sized(2, "key-a");
        spend(LimitScope.PER_KEY, two, 2);

        assertThat(buckets.tryConsumeNow(LimitScope.PER_KEY, two).allowed()).as("its limit of 2 is spent").isFalse();
        RateLimitDecision five = buckets.tryConsumeNow(LimitScope.PER_KEY, Buckets.sized(5, "key-a"));
        assertThat(five.allowed()).as("a changed limit starts from a fresh budget").isTrue();
        assertThat(five.limit()).isEqualTo(5);
    }

    @Test
    void anAmountSpendsThatManyAndAnAmountOverTheLimitSpendsTheWholeBudget() {
        String tokens = Buckets.sized(100, "key-a");
        StepVerifier.create(buckets.tryConsume(LimitScope.PER_KEY_TOKENS, tokens, 61))
                .assertNext(decision -> assertThat(decision.remaining()).isEqualTo(39)).verifyComplete();
        StepVerifier.create(buckets.tryConsume(LimitScope.PER_KEY_TOKENS, tokens, 61))
                .assertNext(decision -> assertThat(decision.allowed()).as("61 do not fit in 39").isFalse()).verifyComplete();

        String other = Buckets.sized(100, "key-b");
        StepVerifier.create(buckets.tryConsume(LimitScope.PER_KEY_TOKENS, other, 1_000))
                .assertNext(decision -> assertThat(decision.allowed()).as("a whole minute's worth, not never").isTrue())
                .verifyComplete();
        assertThat(buckets.tryConsume(LimitScope.PER_KEY_TOKENS, other, 1).block().allowed()).isFalse();
    }

    @Test
    void theSweepForgetsFullBucketsSinceTheyAreTheSameAsNone() {
        buckets.tryConsumeNow(LimitScope.PER_IP, "203.0.113.1");
        clock.advance(Duration.ofSeconds(30));
        spend(LimitScope.PER_IP, "203.0.113.2", 3);
        clock.advance(Duration.ofSeconds(31));

        buckets.sweep();

        assertThat(buckets.size(LimitScope.PER_IP)).as("only the bucket still refilling stays").isEqualTo(1);
        assertThat(buckets.tryConsumeNow(LimitScope.PER_IP, "203.0.113.1").remaining()).as("a new bucket, full").isEqualTo(2);
        assertThat(buckets.tryConsumeNow(LimitScope.PER_IP, "203.0.113.2").remaining())
                .as("the kept bucket kept its spending: 31 s refilled one token only").isZero();
    }

    @Test
    void overItsBoundTheSweepForgetsBucketsStillInUse() {
        LocalBuckets small = new LocalBuckets(limits(3, 2), clock, 10, null);
        for (int i = 0; i < 25; i++) {
            small.tryConsumeNow(LimitScope.PER_IP, "198.51.100." + i);
        }

        small.sweep();

        assertThat(small.size(LimitScope.PER_IP)).as("bounded memory under a flood of addresses").isEqualTo(10);
    }

    @Test
    void aFloodOfNewKeysFromEventLoopsNeverBlocks() {
        // BlockHound fails this on any lock that parks or spins (Caffeine's write buffer did), with early
        // sweeps running alongside on the same kind of thread.
        LocalBuckets flooded = new LocalBuckets(limits(3, 2), TimeMeter.SYSTEM_MILLISECONDS, 1_000, Schedulers.parallel());

        Flux.range(0, 200_000).parallel(4).runOn(Schedulers.parallel())
                .map(i -> flooded.tryConsumeNow(LimitScope.PER_IP, "k" + i))
                .sequential()
                .as(StepVerifier::create)
                .expectNextCount(200_000)
                .verifyComplete();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            flooded.sweep(); // skipped while an early sweep still runs
            assertThat(flooded.size(LimitScope.PER_IP)).as("back within its bound").isEqualTo(1_000);
        });
    }

    @Test
    void anyThreadCanSpendWithoutBlocking() {
        // Lock-free buckets: StepVerifier under BlockHound would fail on a lock that parks.
        StepVerifier.create(buckets.tryConsume(LimitScope.PER_USER, "u").subscribeOn(Schedulers.parallel()))
                .assertNext(decision -> assertThat(decision.allowed()).isTrue())
                .verifyComplete();
    }

    @Test
    void aKeysTokensSettledToWhatCallsUsedAllowMoreCallsAMinuteThanTheirEstimates() {
        String key = Buckets.sized(100, "key-a");
        int calls = 0;
        // Each call is charged 60 (its input and reply cap) and uses 10: the estimates alone allow one a minute.
        while (calls < 10 && buckets.tryConsume(LimitScope.PER_KEY_TOKENS, key, 60).block().allowed()) {
            buckets.settle(LimitScope.PER_KEY_TOKENS, key, 60, 10).block();
            calls++;
        }

        assertThat(calls).as("10 tokens for each settled call: the sixth's 60 do not fit in the 50 left").isEqualTo(5);
        assertThat(buckets.tryConsume(LimitScope.PER_KEY_TOKENS, key, 60).block().remaining())
                .as("100 less 10 for each of the five calls").isEqualTo(50);
    }

    @Test
    void aSettlementTakesWhatACallUsedBeyondItsEstimate() {
        String key = Buckets.sized(100, "key-a");
        buckets.tryConsume(LimitScope.PER_KEY_TOKENS, key, 10).block();

        buckets.settle(LimitScope.PER_KEY_TOKENS, key, 10, 50).block();

        RateLimitDecision refused = buckets.tryConsume(LimitScope.PER_KEY_TOKENS, key, 60).block();
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.remaining()).as("the 50 used, not the 10 estimated").isEqualTo(50);
    }

    @Test
    void aSettlementGivesBackAtMostWhatTheChargeTookAndLeavesADebtOfAtMostOneBudget() {
        String key = Buckets.sized(100, "key-a");
        buckets.tryConsume(LimitScope.PER_KEY_TOKENS, key, 500).block();
        buckets.settle(LimitScope.PER_KEY_TOKENS, key, 500, 0).block();
        assertThat(buckets.tryConsume(LimitScope.PER_KEY_TOKENS, key, 1).block().remaining())
                .as("the charge took the budget's 100, and those came back").isEqualTo(99);

        buckets.settle(LimitScope.PER_KEY_TOKENS, key, 1, 1_000).block();
        assertThat(buckets.tryConsume(LimitScope.PER_KEY_TOKENS, key, 1).block().allowed()).as("in debt").isFalse();

        clock.advance(Duration.ofMillis(1_200));
        assertThat(buckets.tryConsume(LimitScope.PER_KEY_TOKENS, key, 1).block().allowed())
                .as("a debt of one token, paid by two of refill; not the 900 that 999 tokens over would leave").isTrue();
    }

    private void spend(LimitScope scope, String key, int times) {
        for (int i = 0; i < times; i++) {
            buckets.tryConsumeNow(scope, key);
        }
    }

    static RateLimitProperties limits(int perIp, int perUser) {
        return new RateLimitProperties(new RateLimitProperties.Limit(perIp), new RateLimitProperties.UserLimit(perUser, null), null, null, null, true);
    }
}
