package dev.sluice.gateway.quota;

import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sluice.gateway.budget.BudgetStatus;

/**
 * {@code GET /api/v1/quota}: where the caller stands today, per quota, and in each USD budget that applies to them
 * ({@code budgets}, left out when none does). With quotas switched off ({@code sluice.quotas.enabled=false})
 * {@code "enabled": false} and no quotas: nothing is counted, so there is nothing to show.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record QuotaStatus(boolean enabled, Dimension requests, Dimension tokens,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<BudgetStatus> budgets) {

    static final QuotaStatus DISABLED = new QuotaStatus(false, null, null, List.of());

    /** The same, with the caller's budgets. */
    QuotaStatus withBudgets(List<BudgetStatus> standing) {
        return new QuotaStatus(enabled, requests, tokens, standing);
    }

    static QuotaStatus of(QuotaLedger.DailyUsage usage, Instant resetsAt) {
        String resets = resetsAt.toString();
        return new QuotaStatus(true,
                new Dimension(usage.requests(), null, usage.requestLimit(),
                        Math.max(0, usage.requestLimit() - usage.requests()), resets),
                new Dimension(usage.tokens(), usage.reservedTokens(), usage.tokenLimit(),
                        Math.max(0, usage.tokenLimit() - usage.tokens() - usage.reservedTokens()), resets), List.of());
    }

    /**
     * One quota.
     *
     * @param used spent today
     * @param reserved held for requests still streaming (tokens only), settled to their real usage when they end
     * @param limit the day's limit for this user
     * @param remaining what is left: the limit less what is used and reserved
     * @param resetsAt the next 00:00 UTC, ISO-8601
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Dimension(long used, Long reserved, long limit, long remaining, @JsonProperty("resets_at") String resetsAt) {
    }
}
