package dev.sluice.gateway.budget;

import java.math.BigDecimal;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sluice.gateway.web.GatewayException;

/**
 * One user's own budgets in USD, as an admin sets them: {@code null} means the configured default. The body of
 * {@code PUT /api/v1/admin/users/{id}/budget}.
 */
record OwnBudgetRequest(@JsonProperty("daily_usd") BigDecimal dailyUsd, @JsonProperty("monthly_usd") BigDecimal monthlyUsd) {

    /** Far more than anyone spends, and far less than micro-USD in a {@code long} can hold. */
    private static final BigDecimal MAX_USD = BigDecimal.valueOf(1_000_000_000);

    /** In micro-USD, refusing what is not a budget with a 400 naming the field; 0 is allowed and stops the user. */
    Long dailyMicros() {
        return micros("daily_usd", dailyUsd);
    }

    Long monthlyMicros() {
        return micros("monthly_usd", monthlyUsd);
    }

    /** Both fields checked, before anything is stored. */
    OwnBudgetRequest validated() {
        dailyMicros();
        monthlyMicros();
        return this;
    }

    private static Long micros(String field, BigDecimal usd) {
        if (usd == null) {
            return null;
        }
        if (usd.signum() < 0 || usd.compareTo(MAX_USD) > 0) {
            throw GatewayException.invalid(field, "must be from 0 to " + MAX_USD + " USD, or null for the default");
        }
        if (usd.stripTrailingZeros().scale() > 6) {
            throw GatewayException.invalid(field, "must not be finer than a micro-dollar (6 decimal places)");
        }
        return Usd.toMicros(usd);
    }
}
