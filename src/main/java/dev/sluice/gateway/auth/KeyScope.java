package dev.sluice.gateway.auth;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Locale;
import java.util.Set;

/**
 * What a personal API key may do, loaded with the key itself so that enforcing it costs no query. A component that
 * is {@code null} does not limit; {@link #NONE} is the scope of access tokens, the anonymous user and unscoped keys.
 *
 * @param models the alias or {@code provider/model} names the key may use, as the request names them; {@code null} for any
 * @param requestsPerMinute the key's own request rate, inside its account's
 * @param tokensPerMinute the key's own rate of estimated tokens (input and reply cap), charged before each call
 * @param budgetUsd the key's spending budget over {@code budgetPeriod}, enforced by the budgets
 * @param budgetPeriod the period of {@code budgetUsd}; set exactly when it is
 * @param expiresAt from when the key is refused with a 401
 */
public record KeyScope(Set<String> models, Integer requestsPerMinute, Integer tokensPerMinute, BigDecimal budgetUsd,
        BudgetPeriod budgetPeriod, Instant expiresAt) {

    public static final KeyScope NONE = new KeyScope(null, null, null, null, null, null);

    public KeyScope {
        models = models == null ? null : Set.copyOf(models);
    }

    /** Whether the key may use the model named {@code model}. */
    public boolean allows(String model) {
        return models == null || models.contains(model);
    }

    public boolean expired(Instant now) {
        return expiresAt != null && !now.isBefore(expiresAt);
    }

    /** What a {@code budget_usd} is counted over, from 00:00 UTC of the day or of the month's first day. */
    public enum BudgetPeriod {

        DAILY, MONTHLY;

        /** {@code daily} or {@code monthly}, as the API and the database spell it. */
        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The period named {@code daily} or {@code monthly}, or {@code null} for anything else. */
        public static BudgetPeriod of(String wire) {
            for (BudgetPeriod period : values()) {
                if (period.wire().equals(wire)) {
                    return period;
                }
            }
            return null;
        }
    }
}
