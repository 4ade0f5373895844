package dev.sluice.gateway.budget;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BudgetPeriodTests {

    @Test
    void aDailyPeriodIsTheUtcDayAndEndsAtTheNextMidnight() {
        LocalDate day = LocalDate.parse("2026-12-31");
        assertThat(BudgetPeriod.DAILY.start(day)).isEqualTo(day);
        assertThat(BudgetPeriod.DAILY.end(day)).as("over the year's end").isEqualTo(Instant.parse("2027-01-01T00:00:00Z"));
    }

    @Test
    void aMonthlyPeriodBeginsOnTheFirstAndEndsAtTheFirstOfTheNextMonth() {
        assertThat(BudgetPeriod.MONTHLY.start(LocalDate.parse("2026-12-02"))).isEqualTo(LocalDate.parse("2026-12-01"));
        assertThat(BudgetPeriod.MONTHLY.end(LocalDate.parse("2026-12-01"))).isEqualTo(Instant.parse("2027-01-01T00:00:00Z"));
        assertThat(BudgetPeriod.MONTHLY.end(BudgetPeriod.MONTHLY.start(LocalDate.parse("2028-02-29"))))
                .as("a leap February").isEqualTo(Instant.parse("2028-03-01T00:00:00Z"));
        assertThat(BudgetPeriod.MONTHLY.start(LocalDate.parse("2027-01-31"))).isEqualTo(LocalDate.parse("2027-01-01"));
    }

    @Test
    void retryAfterRunsToThePeriodsEndRoundedUpAndNeverUnderASecond() {
        LocalDate day = LocalDate.parse("2026-12-02");
        assertThat(BudgetPeriod.DAILY.untilEnd(day, Instant.parse("2026-12-02T23:00:00Z"))).isEqualTo(Duration.ofHours(1));
        assertThat(BudgetPeriod.DAILY.untilEnd(day, Instant.parse("2026-12-02T23:59:58.001Z")))
                .as("a part of a second counts as a whole one").isEqualTo(Duration.ofSeconds(2));
        assertThat(BudgetPeriod.DAILY.untilEnd(day, Instant.parse("2026-12-03T00:00:00Z")))
                .as("at the very end, still a second, never 0").isEqualTo(Duration.ofSeconds(1));
        assertThat(BudgetPeriod.MONTHLY.untilEnd(LocalDate.parse("2026-12-01"), Instant.parse("2026-12-30T00:00:00Z")))
                .isEqualTo(Duration.ofDays(2));
    }

    @Test
    void usdConvertsToMicroUsdExactlyAndBack() {
        assertThat(Usd.toMicros(new BigDecimal("0.40"))).isEqualTo(400_000);
        assertThat(Usd.toMicros(new BigDecimal("12.345678"))).isEqualTo(12_345_678);
        assertThat(Usd.ofMicros(400_000)).isEqualByComparingTo("0.40");
        assertThat(Usd.ofMicros(400_000).toPlainString()).as("cents shown").isEqualTo("0.40");
        assertThat(Usd.ofMicros(1)).isEqualByComparingTo("0.000001");
        assertThat(Usd.format(5_000_000)).isEqualTo("$5.00");
    }

    @Test
    void theAlertThresholdIsAFractionOfTheLimitRoundedDown() {
        Budget budget = new Budget(Budget.Scope.USER, java.util.UUID.randomUUID(), BudgetPeriod.DAILY, 90_000);
        assertThat(budget.alertMicros(0.8)).isEqualTo(72_000);
        assertThat(budget.alertMicros(1.0)).isEqualTo(90_000);
        assertThat(budget.describe()).isEqualTo("daily budget of the user");
    }
}
