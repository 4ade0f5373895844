package dev.sluice.gateway.status;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The status rules, fed by a real circuit breaker (as the router drives it) and probes, on a clock the test moves. */
class ProviderHealthTests {

    private static final Instant START = Instant.parse("2025-03-01T12:00:00Z");

    private final SteppedClock clock = new SteppedClock(START);
    private final CircuitBreaker breaker = CircuitBreaker.of("groq", CircuitBreakerConfig.custom()
            .slidingWindowSize(20)
            .minimumNumberOfCalls(5)
            .failureRateThreshold(50)
            .build());
    private final ProviderHealth health = ProviderHealth.watching("groq", breaker, StatusProperties.defaults(), clock);

    @Test
    void aProviderNothingIsKnownAboutIsUpWithFullUptimeAndNoLatency() {
        ProviderStatus status = health.status();

        assertThat(status.name()).isEqualTo("groq");
        assertThat(status.status()).as("no news is good news").isEqualTo(Availability.UP);
        assertThat(status.circuit()).isEqualTo(CircuitState.CLOSED);
        assertThat(status.uptimePct()).as("100 when nothing is known").isEqualTo(100.0);
        assertThat(status.latencyP50Ms()).as("no sample, no latency").isNull();
        assertThat(status.lastChecked()).isNull();
    }

    @Test
    void liveFirstTokensMakeItUpAndGiveTheMedianLatency() {
        firstTokenAfter(100);
        clock.advance(Duration.ofSeconds(1));
        firstTokenAfter(300);
        clock.advance(Duration.ofSeconds(1));
        firstTokenAfter(200);

        ProviderStatus status = health.status();
        assertThat(status.status()).isEqualTo(Availability.UP);
        assertThat(status.latencyP50Ms()).as("the median of 100, 300 and 200 ms").isEqualTo(200L);
        assertThat(status.lastChecked()).as("the newest outcome").isEqualTo(START.plusSeconds(2));
    }

    @Test
    void liveTimesToFirstTokenBeatProbeLatenciesAndFailedProbesGiveNone() {
        health.recordProbe(true, Duration.ofMillis(40));
        health.recordProbe(false, Duration.ofSeconds(5));
        health.recordProbe(true, Duration.ofMillis(60));
        assertThat(health.status().latencyP50Ms()).as("the median of the answered probes; the timed-out one took 5 s to fail")
                .isEqualTo(40L);

        firstTokenAfter(900);
        assertThat(health.status().latencyP50Ms()).as("what callers wait for, once known").isEqualTo(900L);
    }

    @Test
    void anOpenCircuitMakesItDown() {
        firstTokenAfter(100);
        breaker.transitionToOpenState();

        ProviderStatus status = health.status();
        assertThat(status.status()).isEqualTo(Availability.DOWN);
        assertThat(status.circuit()).isEqualTo(CircuitState.OPEN);
    }

    @Test
    void failingCallsOpenTheCircuitAndLowerTheUptime() {
        for (int i = 0; i < 5; i++) {
            breaker.onError(2, TimeUnit.SECONDS, new IllegalStateException("502 from upstream"));
        }

        ProviderStatus status = health.status();
        assertThat(status.circuit()).as("five failures of five calls trip the breaker").isEqualTo(CircuitState.OPEN);
        assertThat(status.status()).isEqualTo(Availability.DOWN);
        assertThat(status.uptimePct()).isEqualTo(0.0);
        assertThat(status.latencyP50Ms()).as("time to fail is no latency").isNull();
    }

    @Test
    void aHalfOpenCircuitMakesItDegraded() {
        breaker.transitionToOpenState();
        breaker.transitionToHalfOpenState();

        ProviderStatus status = health.status();
        assertThat(status.status()).as("recovering, on trial").isEqualTo(Availability.DEGRADED);
        assertThat(status.circuit()).isEqualTo(CircuitState.HALF_OPEN);
    }

    @Test
    void aFailedProbeMakesItDownUntilSomethingSucceeds() {
        health.recordProbe(true, Duration.ofMillis(50));
        clock.advance(Duration.ofSeconds(30));
        health.recordProbe(false, Duration.ofSeconds(5));
        assertThat(health.status().status()).isEqualTo(Availability.DOWN);
        assertThat(health.status().circuit()).as("probes do not drive the breaker").isEqualTo(CircuitState.CLOSED);

        clock.advance(Duration.ofSeconds(1));
        breaker.onError(1, TimeUnit.SECONDS, new IllegalStateException("connection refused"));
        assertThat(health.status().status()).as("a live failure confirms it").isEqualTo(Availability.DOWN);

        clock.advance(Duration.ofSeconds(1));
        firstTokenAfter(100);
        assertThat(health.status().status()).as("a live call got through after the probe failed")
                .isEqualTo(Availability.DEGRADED);
    }

    @Test
    void aNotableShareOfRecentFailuresMakesItDegradedUntilItAgesOut() {
        for (int i = 0; i < 7; i++) {
            firstTokenAfter(100);
        }
        for (int i = 0; i < 3; i++) {
            breaker.onError(1, TimeUnit.SECONDS, new IllegalStateException("503"));
        }

        ProviderStatus failing = health.status();
        assertThat(failing.circuit()).as("30% failures stay under the breaker's 50%").isEqualTo(CircuitState.CLOSED);
        assertThat(failing.status()).as("but 30% is over the 25% that counts as degraded").isEqualTo(Availability.DEGRADED);
        assertThat(failing.uptimePct()).isEqualTo(70.0);

        clock.advance(Duration.ofMinutes(6));
        ProviderStatus later = health.status();
        assertThat(later.status()).as("the failures are older than the recent window").isEqualTo(Availability.UP);
        assertThat(later.uptimePct()).as("but still within the uptime window").isEqualTo(70.0);
    }

    @Test
    void aSingleFailureAmongFewChecksIsABlipNotADegradation() {
        health.recordProbe(true, Duration.ofMillis(50));
        breaker.onError(1, TimeUnit.SECONDS, new IllegalStateException("reset by peer"));
        firstTokenAfter(100);

        ProviderStatus status = health.status();
        assertThat(status.status()).as("one failure of three is under the minimum of two").isEqualTo(Availability.UP);
        assertThat(status.uptimePct()).isEqualTo(66.67);
    }

    @Test
    void aSlowProbeMakesItDegraded() {
        health.recordProbe(true, Duration.ofMillis(2500));

        assertThat(health.status().status()).as("reachable, but slower than slow-probe (2s)").isEqualTo(Availability.DEGRADED);

        health.recordProbe(true, Duration.ofMillis(300));
        assertThat(health.status().status()).as("the last probe decides").isEqualTo(Availability.UP);
    }

    @Test
    void uptimeCountsOnlyChecksWithinTheWindow() {
        health.recordProbe(false, Duration.ofSeconds(5));
        clock.advance(Duration.ofHours(25));
        health.recordProbe(true, Duration.ofMillis(50));
        firstTokenAfter(100);

        ProviderStatus status = health.status();
        assertThat(status.uptimePct()).as("the failure is more than 24 h old").isEqualTo(100.0);
        assertThat(status.lastChecked()).isEqualTo(START.plus(Duration.ofHours(25)));
    }

    @Test
    void theHistoryIsBoundedToTheNewestChecks() {
        StatusProperties small = new StatusProperties(Duration.ofSeconds(30), Duration.ofSeconds(3), Duration.ofSeconds(2),
                Duration.ofHours(24), 4, Duration.ofMinutes(5), 0.25, Duration.ofDays(30));
        CircuitBreaker other = CircuitBreaker.ofDefaults("other");
        ProviderHealth bounded = ProviderHealth.watching("other", other, small, clock);
        for (int i = 0; i < 6; i++) {
            other.onError(1, TimeUnit.SECONDS, new IllegalStateException("down"));
        }
        for (int i = 0; i < 3; i++) {
            other.onSuccess(10, TimeUnit.MILLISECONDS);
        }

        assertThat(bounded.status().uptimePct()).as("of the newest four checks, three succeeded").isEqualTo(75.0);
    }

    private void firstTokenAfter(long millis) {
        breaker.onSuccess(millis, TimeUnit.MILLISECONDS);
    }
}
