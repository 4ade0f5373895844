package dev.sluice.gateway.ratelimit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A replica's tokens for one key, taken from the shared budget ahead of need: most decisions made at once, none
 * without a token the budget granted, at most 1 % of the limit held, one call to Redis at a time for everyone waiting.
 */
class LeaseTests {

    private final FakeBudget budget = new FakeBudget();
    private final ManualClock clock = new ManualClock();

    @Test
    void aKeysFirstRequestTakesOneTokenAndNothingAhead() {
        Lease lease = new Lease(LimitScope.PER_USER, 10_000, budget, clock);

        assertThat(lease.spendHeld()).as("nothing held yet").isNull();
        CompletableFuture<RateLimitDecision> decision = lease.take();
        assertThat(decision).isNotDone();
        assertThat(budget.asks).containsExactly(1L);

        budget.grant(1, 9_999);
        assertThat(decision.join().allowed()).isTrue();
        assertThat(decision.join().remaining()).isEqualTo(9_999);
        assertThat(lease.held()).isZero();
    }

    @Test
    void withUseItHoldsMoreAheadUpToOnePercentOfTheLimitSoThatFewRequestsWaitForRedis() {
        Lease lease = new Lease(LimitScope.PER_USER, 10_000, budget, clock);
        budget.answerAtOnce(10_000);
        int decidedAtOnce = 0;
        long mostHeld = 0;

        for (int i = 0; i < 5_000; i++) {
            RateLimitDecision now = lease.spendHeld();
            if (now != null) {
                decidedAtOnce++;
                assertThat(now.allowed()).isTrue();
            }
            else {
                assertThat(lease.take().join().allowed()).isTrue();
            }
            mostHeld = Math.max(mostHeld, lease.held());
        }

        assertThat(mostHeld).as("never more than 1 %% of the limit ahead of need").isLessThanOrEqualTo(100);
        assertThat(budget.asks).as("one call per half block, once grown").hasSizeLessThan(5_000 / 40);
        assertThat(budget.asks.subList(0, 4)).as("grows like a window: 1, then 1+1, then tops up").containsExactly(1L, 2L, 2L, 3L);
        assertThat(decidedAtOnce).as("decided on the request's own thread").isGreaterThan(4_900);
        assertThat(budget.granted).as("every admission was granted by the shared budget")
                .isEqualTo(5_000 + lease.held());
    }

    @Test
    void aHeldTokenNotSpentWithinSixHundredMillisecondsIsGivenBackAndTheBlockShrinks() {
        Lease lease = new Lease(LimitScope.PER_USER, 10_000, budget, clock);
        budget.answerAtOnce(10_000);
        for (int i = 0; i < 50; i++) {
            if (lease.spendHeld() == null) {
                lease.take().join();
            }
        }
        long held = lease.held();
        assertThat(held).isPositive();
        int asksBefore = budget.asks.size();

        clock.advance(Duration.ofMillis(601));

        assertThat(lease.spendHeld()).as("the budget refilled meanwhile: spending it now could overshoot the limit")
                .isNull();
        assertThat(budget.givenBack).as("what was held went back to the shared budget").isEqualTo(held);
        assertThat(lease.take().join().allowed()).isTrue();
        assertThat(budget.asks.get(asksBefore)).as("a smaller block ahead, sized to what this replica spends in time")
                .isLessThan(held);
    }

    @Test
    void requestsArrivingWhileACallIsInFlightWaitForItAndShareTheNext() {
        Lease lease = new Lease(LimitScope.PER_USER, 10_000, budget, clock);
        List<CompletableFuture<RateLimitDecision>> waiting = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            waiting.add(lease.take());
        }
        assertThat(budget.asks).as("one call at a time for a key on a replica").containsExactly(1L);

        budget.grant(1, 9_999);
        assertThat(waiting.get(0).join().allowed()).isTrue();
        assertThat(budget.asks).as("the four still waiting, and one ahead").containsExactly(1L, 5L);

        budget.grant(5, 9_994);
        assertThat(waiting).allSatisfy(decision -> assertThat(decision.join().allowed()).isTrue());
        assertThat(lease.held()).isEqualTo(1);
    }

    @Test
    void whenTheSharedBudgetRunsDryEveryoneWaitingIsRefusedUntilItsNextToken() {
        Lease lease = new Lease(LimitScope.PER_USER, 30, budget, clock);
        List<CompletableFuture<RateLimitDecision>> waiting = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            waiting.add(lease.take());
        }
        budget.grant(1, 2);
        budget.grant(2, 0);

        assertThat(waiting.subList(0, 3)).allSatisfy(decision -> assertThat(decision.join().allowed()).isTrue());
        RateLimitDecision refused = waiting.get(3).join();
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfterSeconds()).as("as the budget says").isEqualTo(2);
        assertThat(refused.remaining()).isZero();
        assertThat(refused.resetSeconds()).as("the whole budget refills in a minute").isEqualTo(60);
    }

    @Test
    void belowAHundredAMinuteItAsksForExactlyTheRequestsWaitingAndHoldsNothing() {
        Lease lease = new Lease(LimitScope.PER_USER, 60, budget, clock);
        budget.answerAtOnce(60);

        for (int i = 0; i < 30; i++) {
            assertThat(lease.spendHeld()).as("never a token ahead of need").isNull();
            assertThat(lease.take().join().allowed()).isTrue();
            assertThat(lease.held()).isZero();
        }
        assertThat(budget.asks).hasSize(30).containsOnly(1L);
    }

    @Test
    void aRequestThatGaveUpLeavesItsTokenToTheNext() {
        Lease lease = new Lease(LimitScope.PER_USER, 30, budget, clock);
        CompletableFuture<RateLimitDecision> timedOut = lease.take();
        timedOut.cancel(false);

        budget.grant(1, 29);

        RateLimitDecision next = lease.spendHeld();
        assertThat(next).as("the token was not lost with the request").isNotNull();
        assertThat(next.allowed()).isTrue();
    }

    @Test
    void aFailedCallFailsEveryoneWaitingAndTheNextRequestTriesAgain() {
        Lease lease = new Lease(LimitScope.PER_USER, 30, budget, clock);
        CompletableFuture<RateLimitDecision> first = lease.take();
        CompletableFuture<RateLimitDecision> second = lease.take();

        budget.fail(RedisUnavailableException.NOT_CONNECTED);

        assertThat(first).isCompletedExceptionally();
        assertThat(second).isCompletedExceptionally();
        lease.take();
        assertThat(budget.asks).as("the failed call, then one for the next request").containsExactly(1L, 1L);
    }

    @Test
    void tooManyRequestsWaitingForOneKeyAreTurnedAwayAsBusy() {
        Lease lease = new Lease(LimitScope.PER_IP, 30, budget, clock);
        for (int i = 0; i < Lease.MAX_WAITING; i++) {
            lease.take();
        }

        assertThat(lease.take().handle((decision, failure) -> failure).join())
                .isSameAs(RedisUnavailableException.TOO_MANY_WAITING);
    }

    @Test
    void anIdleLeaseGivesBackWhatItHoldsAndIsRetired() {
        Lease lease = new Lease(LimitScope.PER_USER, 10_000, budget, clock);
        budget.answerAtOnce(10_000);
        for (int i = 0; i < 10; i++) {
            if (lease.spendHeld() == null) {
                lease.take().join();
            }
        }
        long held = lease.held();
        assertThat(held).isPositive();

        assertThat(lease.retire(false)).as("used since the last sweep").isFalse();
        assertThat(lease.retire(false)).as("idle for a whole sweep").isTrue();

        assertThat(budget.givenBack).isEqualTo(held);
        assertThat(lease.take()).as("retired: the caller takes a fresh lease").isNull();
    }

    @Test
    void aLeaseRetiredWhileACallIsInFlightGivesBackWhatThatCallBrings() {
        Lease lease = new Lease(LimitScope.PER_USER, 10_000, budget, clock);
        budget.answerAtOnce(10_000);
        lease.take().join();
        lease.take().join(); // asked 2: one spent, one held
        budget.answerLater();
        lease.spendHeld(); // the last held one: tops up in the background

        assertThat(lease.retire(true)).as("forced: the map is over its bound").isTrue();
        budget.grant(2, 9_990);

        assertThat(budget.givenBack).isEqualTo(2);
        assertThat(lease.held()).isZero();
        assertThat(lease.spendHeld()).isNull();
    }

    /** The shared budget, answering when the test says, or at once from a budget of its own. */
    private static final class FakeBudget implements Lease.Budget {

        final List<Long> asks = new ArrayList<>();
        long granted;
        long givenBack;
        private Lease waiting;
        private long atOnceLeft = -1;

        void answerAtOnce(long budget) {
            atOnceLeft = budget;
        }

        void answerLater() {
            atOnceLeft = -1;
        }

        @Override
        public void take(long atMost, Lease lease) {
            asks.add(atMost);
            if (atOnceLeft >= 0) {
                long grant = Math.min(atMost, atOnceLeft);
                atOnceLeft -= grant;
                granted += grant;
                lease.granted(new Lease.Grant(grant, atOnceLeft, grant < atMost ? 1_000_000_000L : 0));
            }
            else {
                waiting = lease;
            }
        }

        void grant(long tokens, long remaining) {
            Lease lease = waiting;
            waiting = null;
            granted += tokens;
            lease.granted(new Lease.Grant(tokens, remaining, TimeUnit.MILLISECONDS.toNanos(1_500)));
        }

        void fail(Throwable failure) {
            Lease lease = waiting;
            waiting = null;
            lease.failed(failure);
        }

        @Override
        public void giveBack(long tokens) {
            givenBack += tokens;
        }
    }
}
