package dev.sluice.gateway.quota;

import java.time.Duration;

/** Quota settings for tests that build the quota by hand: the limits they name, the rest at short test values. */
final class TestQuotas {

    private TestQuotas() {
    }

    static QuotaProperties limits(int dailyRequests, long dailyTokens, int replyAllowance, boolean enabled) {
        return limits(dailyRequests, dailyTokens, replyAllowance, enabled, new QuotaProperties.OutageAllowance(20, 20_000));
    }

    static QuotaProperties limits(int dailyRequests, long dailyTokens, int replyAllowance, boolean enabled,
            QuotaProperties.OutageAllowance outageAllowance) {
        return new QuotaProperties(dailyRequests, dailyTokens, replyAllowance, 1_000, enabled, Duration.ofMillis(500),
                outageAllowance, Duration.ofMillis(20), Duration.ofMillis(200),
                new QuotaProperties.Blocks(64, 0.1, Duration.ofSeconds(1), Duration.ofSeconds(10)));
    }
}
