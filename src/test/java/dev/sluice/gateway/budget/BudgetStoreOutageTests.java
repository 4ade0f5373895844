package dev.sluice.gateway.budget;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;

import static org.assertj.core.api.Assertions.assertThat;

class BudgetStoreOutageTests {

    private static final RuntimeException DOWN = new DataAccessResourceFailureException("down");

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final BudgetStoreOutage outage = new BudgetStoreOutage(100_000,
            Clock.fixed(Instant.parse("2026-12-02T12:00:00Z"), ZoneOffset.UTC), registry);

    @Test
    void callsGoThroughUntilTheirWorstCasesSpendTheAllowanceThenBudgetsFailClosed() {
        assertThat(outage.admit(60_000, DOWN)).isTrue();
        assertThat(outage.admit(50_000, DOWN)).as("past the $0.10 left").isFalse();
        assertThat(outage.admit(40_000, DOWN)).as("what still fits").isTrue();
        assertThat(outage.admit(1, DOWN)).isFalse();

        assertThat(registry.get("sluice.budget.unenforced").counter().count()).isEqualTo(2);
        assertThat(registry.get("sluice.budget.store.refusals").counter().count()).isEqualTo(2);
        assertThat(registry.get("sluice.budget.store.unavailable").gauge().value()).isEqualTo(1);
    }

    @Test
    void theDatabasesAnswerEndsTheOutageAndRestoresTheAllowance() {
        assertThat(outage.admit(100_000, DOWN)).isTrue();
        outage.recovered();

        assertThat(registry.get("sluice.budget.store.unavailable").gauge().value()).isZero();
        assertThat(outage.admit(100_000, DOWN)).as("whole again").isTrue();
    }

    @Test
    void aDatabaseAnsweringNowAndThenDoesNotRefillTheAllowanceMoreThanOnceAMinute() {
        outage.admit(100_000, DOWN);
        outage.recovered();
        outage.admit(100_000, DOWN);
        outage.recovered();

        assertThat(outage.admit(1, DOWN)).as("the same minute: not restored again").isFalse();
    }
}
