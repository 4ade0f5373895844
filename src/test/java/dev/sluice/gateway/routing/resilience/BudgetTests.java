package dev.sluice.gateway.routing.resilience;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BudgetTests {

    @Test
    void theRequestsPerMinuteAllowanceRunsOut() {
        Budget budget = Budget.of(3, null);

        assertThat(budget.trySpend(10)).isTrue();
        assertThat(budget.trySpend(10)).isTrue();
        assertThat(budget.trySpend(10)).isTrue();
        assertThat(budget.trySpend(10)).as("the fourth request in the minute").isFalse();
    }

    @Test
    void theTokensPerMinuteAllowanceRunsOutWithoutSpendingARequest() {
        Budget budget = Budget.of(100, 1_000);

        assertThat(budget.trySpend(600)).isTrue();
        assertThat(budget.trySpend(600)).as("600 more tokens do not fit in what is left").isFalse();
        assertThat(budget.trySpend(400)).as("what is left still serves a smaller request").isTrue();
    }

    @Test
    void withoutLimitsEverythingPasses() {
        Budget budget = Budget.of(null, null);

        for (int i = 0; i < 10_000; i++) {
            assertThat(budget.trySpend(1_000_000)).isTrue();
        }
    }
}
