package dev.sluice.gateway.ratelimit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Per IP first, then per user: the binding decision is the answer. */
class RateLimiterTests {

    private final ManualClock clock = new ManualClock();
    private final LocalBuckets buckets = new LocalBuckets(LocalBucketsTests.limits(3, 2), clock, 1_000, null);
    private final RateLimiter limiter = new RateLimiter(buckets);

    @Test
    void anAddressSpendsFromItsOwnBudget() {
        RateLimitDecision decision = limiter.checkAddress("203.0.113.1").block();

        assertThat(decision.scope()).isEqualTo(LimitScope.PER_IP);
        assertThat(decision.remaining()).isEqualTo(2);
    }

    @Test
    void anAccountIsLimitedAcrossAllItsAddresses() {
        check("203.0.113.1", "user-1");
        check("203.0.113.2", "user-1");

        RateLimitDecision third = check("203.0.113.3", "user-1");

        assertThat(third.allowed()).as("a fresh address each time, but one account").isFalse();
        assertThat(third.scope()).isEqualTo(LimitScope.PER_USER);
    }

    @Test
    void theBudgetWithFewestRequestsLeftIsReported() {
        RateLimitDecision first = check("203.0.113.1", "user-1");

        assertThat(first.scope()).as("1 left per user, 2 per IP").isEqualTo(LimitScope.PER_USER);
        assertThat(first.remaining()).isEqualTo(1);
        assertThat(first.limit()).isEqualTo(2);
    }

    private RateLimitDecision check(String ip, String user) {
        return limiter.checkAddress(ip).flatMap(perIp -> limiter.checkUser(perIp, user)).block();
    }
}
