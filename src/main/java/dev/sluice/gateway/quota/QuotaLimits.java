package dev.sluice.gateway.quota;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sluice.gateway.web.GatewayException;

/**
 * One user's own daily limits, as an admin sets them: {@code null} means the configured default.
 * The body of {@code PUT /api/v1/admin/users/{id}/quota}.
 */
record QuotaLimits(@JsonProperty("daily_requests") Integer dailyRequests, @JsonProperty("daily_tokens") Long dailyTokens) {

    /** Refuses negative limits with a 400 naming the field; 0 is allowed and stops the user for the day. */
    QuotaLimits validated() {
        if (dailyRequests != null && dailyRequests < 0) {
            throw GatewayException.invalid("daily_requests", "must be 0 or more, or null for the default");
        }
        if (dailyTokens != null && dailyTokens < 0) {
            throw GatewayException.invalid("daily_tokens", "must be 0 or more, or null for the default");
        }
        return this;
    }
}
