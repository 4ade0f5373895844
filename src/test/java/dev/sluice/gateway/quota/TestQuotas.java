package dev.sluice.gateway.quota;

import java.time.Duration;

/** Quota settings for tests that build the quota by hand: the limits they name, the rest at short test values. */
final class TestQuotas {

    /** Blocks of up to 64 requests, a block at most an 8th of what is left, idle after 100 ms, a term of 1 s. */
    static final QuotaProperties.Leases LEASES = new QuotaProperties.Leases(64, 8, Duration.ofMillis(100),
            Duration.ofSeconds(1), 1_000);

    private TestQuotas() {
    }

    static QuotaProperties limits(int dailyRequests, long dailyTokens, int replyAllowance, boolean enabled) {
        return limits(dailyRequests, dailyTokens, replyAllowance, enabled, new QuotaProperties.OutageAllowance(20, 20_000));
    }

    static QuotaProperties limits(int dailyRequests, long dailyTokens, int replyAllowance, boolean enabled,
            QuotaProperties.OutageAllowance outageAllowance) {
        return limits(dailyRequests, dailyTokens, replyAllowance, enabled, outageAllowance, LEASES);
    }

    static QuotaProperties limits(int dailyRequests, long dailyTokens, int replyAllowance, boolean enabled,
            QuotaProperties.OutageAllowance outageAllowance, QuotaProperties.Leases leases) {
        return new QuotaProperties(dailyRequests, dailyTokens, replyAllowance, enabled, Duration.ofMillis(500),
                outageAllowance, Duration.ofMillis(20), Duration.ofMillis(200), leases);
    }
}
