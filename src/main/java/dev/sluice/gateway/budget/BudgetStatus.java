package dev.sluice.gateway.budget;

import java.math.BigDecimal;
import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Where one budget stands, for {@code GET /api/v1/quota}'s {@code budgets}; amounts in USD.
 *
 * @param scope {@code user} or {@code key}
 * @param period {@code daily} or {@code monthly}
 * @param limitUsd what the period allows
 * @param spentUsd what calls that ended cost in the period
 * @param reservedUsd the worst cases held by calls still running, settled to their real cost when each ends
 * @param remainingUsd the limit less what is spent and held
 * @param resetsAt when the period ends (00:00 UTC of the next day, or of the first of next month), ISO-8601
 * @param alertAtUsd the alert threshold ({@code sluice.budgets.alert-at} of the limit)
 * @param pastAlert whether what is spent and held has passed it
 */
public record BudgetStatus(
        String scope,
        String period,
        @JsonProperty("limit_usd") BigDecimal limitUsd,
        @JsonProperty("spent_usd") BigDecimal spentUsd,
        @JsonProperty("reserved_usd") BigDecimal reservedUsd,
        @JsonProperty("remaining_usd") BigDecimal remainingUsd,
        @JsonProperty("resets_at") String resetsAt,
        @JsonProperty("alert_at_usd") BigDecimal alertAtUsd,
        @JsonProperty("past_alert") boolean pastAlert) {

    static BudgetStatus of(Budget budget, BudgetLedger.Usage usage, Instant resetsAt, double alertAt) {
        long used = usage.spentMicros() + usage.reservedMicros();
        long alert = budget.alertMicros(alertAt);
        return new BudgetStatus(budget.scope().label(), budget.period().label(), Usd.ofMicros(budget.limitMicros()),
                Usd.ofMicros(usage.spentMicros()), Usd.ofMicros(usage.reservedMicros()),
                Usd.ofMicros(Math.max(0, budget.limitMicros() - used)), resetsAt.toString(), Usd.ofMicros(alert),
                used > alert || used >= budget.limitMicros());
    }
}
