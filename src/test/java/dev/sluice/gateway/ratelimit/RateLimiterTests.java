package dev.sluice.gateway.ratelimit;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/** Per IP and per user together; the binding decision is the answer, and a refusal per IP costs the account nothing. */
class RateLimiterTests {

    private final ManualClock clock = new ManualClock();
    private final LocalBuckets buckets = new LocalBuckets(LocalBucketsTests.limits(3, 2), clock, 1_000, null);
    private final RateLimiter limiter = new RateLimiter(buckets);

    @Test
    void theAnonymousUserHasOnlyThePerIpBudget() {
        StepVerifier.create(limiter.check("203.0.113.1", Mono.empty()))
                .assertNext(decision -> {
                    assertThat(decision.scope()).isEqualTo(LimitScope.PER_IP);
                    assertThat(decision.remaining()).isEqualTo(2);
                })
                .verifyComplete();
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

    @Test
    void aRequestRefusedPerIpSpendsNothingFromTheAccount() {
        for (int i = 0; i < 3; i++) {
            check("203.0.113.1", "user-" + i);
        }

        RateLimitDecision flood = check("203.0.113.1", "victim");

        assertThat(flood.scope()).isEqualTo(LimitScope.PER_IP);
        assertThat(flood.allowed()).isFalse();
        assertThat(buckets.consume(LimitScope.PER_USER, "victim").remaining())
                .as("the victim's budget is untouched by the refused request").isEqualTo(1);
    }

    private RateLimitDecision check(String ip, String user) {
        return limiter.check(ip, Mono.just(user)).block();
    }
}
