package dev.sluice.gateway.budget;

import java.math.BigDecimal;
import java.time.Duration;

import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * USD budgets ({@code sluice.budgets.*}): what a user may spend per UTC day and per UTC month, unless an admin set
 * their own ({@code PUT /api/v1/admin/users/{id}/budget}), and what each end user of an application may. No default,
 * no user's own budget and no end-user budget: budgets cost nothing.
 *
 * @param perUser the default budgets of every user; either left out means no such budget by default
 * @param perEndUser the budgets of each end user a call names ({@code sluice.auth.end-users.enabled}), one per end
 *        user of each API key (or account without a key), inside the key's and the user's own; left out: none
 * @param alertAt the fraction of a budget past which a call counts as near the limit: {@code GET /api/v1/quota} says
 *        so and {@code sluice.budget.calls.past.alert} counts it
 * @param replyAllowance the reply cap priced into the worst case of a chat that sets none and that no quota capped;
 *        also sent upstream as its cap, so that the reply cannot cost more than was reserved
 * @param reservationTimeout how long a call waits for the database to answer its reservation before it counts as an
 *        outage of the budget store
 * @param outageAllowanceUsd what this replica lets through unchecked, in worst-case USD over all users, while the
 *        database cannot answer; beyond it calls with a budget get 503 until it answers again
 * @param refresh how often each replica reads the users' own budgets again, which bounds how stale another replica's
 *        change can be while Redis cannot tell it
 */
@Validated
@ConfigurationProperties("sluice.budgets")
public record BudgetProperties(
        @DefaultValue @NotNull @Valid PeriodBudgets perUser,
        @DefaultValue @NotNull @Valid PeriodBudgets perEndUser,
        @DefaultValue("0.8") @DecimalMin("0.0") @DecimalMax("1.0") double alertAt,
        @DefaultValue("1000") @Positive int replyAllowance,
        @DefaultValue("5s") @NotNull Duration reservationTimeout,
        @DefaultValue("1.00") @NotNull @DecimalMin("0.0") BigDecimal outageAllowanceUsd,
        @DefaultValue("1m") @NotNull Duration refresh) {

    /**
     * A daily and a monthly budget, in USD; {@code null}: none.
     *
     * @param dailyUsd what one user (or end user) may spend per UTC day
     * @param monthlyUsd what one user (or end user) may spend per UTC calendar month
     */
    public record PeriodBudgets(@PositiveOrZero BigDecimal dailyUsd, @PositiveOrZero BigDecimal monthlyUsd) {
    }
}
