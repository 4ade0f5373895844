package dev.sluice.gateway.spend;

import java.util.concurrent.atomic.AtomicInteger;

import dev.sluice.gateway.routing.Target;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A call's cost is worked out by whoever asks first, its budgets or spend, and the other gets the same one. */
class MemoisedCostTests {

    private static final CallCost PAID = new CallCost(new Target("fake", "fake-model"), false, 10, 5, 0, 75L, false);

    @Test
    void theFirstCostWorkedOutIsWhatEveryLaterAskGetsWithoutWorkingItOutAgain() {
        MemoisedCost memo = new MemoisedCost();
        AtomicInteger workedOut = new AtomicInteger();

        CallCost first = memo.get(() -> {
            workedOut.incrementAndGet();
            return PAID;
        });
        CallCost second = memo.get(() -> {
            workedOut.incrementAndGet();
            return new CallCost(PAID.target(), false, 10, 500, 0, 5_000L, false);
        });

        assertThat(second).as("the same cost for the budgets and the usage record").isSameAs(first).isSameAs(PAID);
        assertThat(workedOut).as("worked out once").hasValue(1);
    }

    @Test
    void notACallIsRememberedAsSuch() {
        MemoisedCost memo = new MemoisedCost();

        assertThat(memo.get(() -> null)).isNull();
        assertThat(memo.get(() -> PAID)).as("still not a call").isNull();
    }
}
