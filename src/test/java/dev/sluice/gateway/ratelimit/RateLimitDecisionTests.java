package dev.sluice.gateway.ratelimit;

import java.util.concurrent.TimeUnit;

import io.github.bucket4j.ConsumptionProbe;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;

import static org.assertj.core.api.Assertions.assertThat;

/** A decision is a value: read from bucket4j's probe, combined across budgets, written as headers. */
class RateLimitDecisionTests {

    @Test
    void anAllowedRequestReportsWhatIsLeftAndWhenTheBudgetIsFullAgain() {
        ConsumptionProbe probe = ConsumptionProbe.consumed(59, TimeUnit.MILLISECONDS.toNanos(1_000));

        RateLimitDecision decision = RateLimitDecision.of(LimitScope.PER_USER, 60, probe);

        assertThat(decision.allowed()).isTrue();
        assertThat(decision.remaining()).isEqualTo(59);
        assertThat(decision.resetSeconds()).isEqualTo(1);
        assertThat(decision.retryAfterSeconds()).as("nothing to wait for").isZero();
    }

    @Test
    void aRefusalRoundsItsWaitsUpToWholeSeconds() {
        ConsumptionProbe probe = ConsumptionProbe.rejected(0, TimeUnit.MILLISECONDS.toNanos(1_200),
                TimeUnit.MILLISECONDS.toNanos(59_001));

        RateLimitDecision decision = RateLimitDecision.of(LimitScope.PER_IP, 120, probe);

        assertThat(decision.allowed()).isFalse();
        assertThat(decision.retryAfterSeconds()).as("retrying after 1 s would be refused again").isEqualTo(2);
        assertThat(decision.resetSeconds()).isEqualTo(60);
    }

    @Test
    void aRefusalNeverSaysRetryAfterZero() {
        RateLimitDecision decision = RateLimitDecision.of(LimitScope.PER_IP, 120, ConsumptionProbe.rejected(0, 1, 1));

        assertThat(decision.retryAfterSeconds()).isEqualTo(1);
    }

    @Test
    void theBindingDecisionIsARefusalOtherwiseTheFewestRemaining() {
        RateLimitDecision ipWithPlenty = decision(LimitScope.PER_IP, true, 100, 10);
        RateLimitDecision userNearlySpent = decision(LimitScope.PER_USER, true, 2, 50);
        RateLimitDecision userRefused = decision(LimitScope.PER_USER, false, 0, 60);

        assertThat(RateLimitDecision.binding(ipWithPlenty, userNearlySpent)).isSameAs(userNearlySpent);
        assertThat(RateLimitDecision.binding(userNearlySpent, ipWithPlenty)).as("order does not matter").isSameAs(userNearlySpent);
        assertThat(RateLimitDecision.binding(ipWithPlenty, userRefused)).isSameAs(userRefused);
    }

    @Test
    void onATieTheBudgetThatRefillsSlowerBinds() {
        RateLimitDecision quick = decision(LimitScope.PER_IP, true, 5, 3);
        RateLimitDecision slow = decision(LimitScope.PER_USER, true, 5, 40);

        assertThat(RateLimitDecision.binding(quick, slow)).isSameAs(slow);
    }

    @Test
    void theHeadersCarryLimitRemainingAndSecondsToReset() {
        HttpHeaders headers = new HttpHeaders();

        RateLimitHeaders.write(decision(LimitScope.PER_USER, true, 7, 13), headers);

        assertThat(headers.getFirst("X-RateLimit-Limit")).isEqualTo("60");
        assertThat(headers.getFirst("X-RateLimit-Remaining")).isEqualTo("7");
        assertThat(headers.getFirst("X-RateLimit-Reset")).as("seconds, not an epoch time").isEqualTo("13");
    }

    @Test
    void aRefusalNamesTheLimitThatWasHit() {
        assertThat(decision(LimitScope.PER_IP, false, 0, 30).refusal()).contains("per-IP limit of 60 requests per minute");
        assertThat(decision(LimitScope.PER_USER, false, 0, 30).refusal()).contains("per-user limit");
    }

    private static RateLimitDecision decision(LimitScope scope, boolean allowed, long remaining, long reset) {
        return new RateLimitDecision(scope, allowed, 60, remaining, reset, allowed ? 0 : 1);
    }
}
