package dev.sluice.gateway.routing.resilience;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BackoffTests {

    private final Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(2));

    @Test
    void eachRetryWaitsAboutTwiceAsLongWithJitterUpToTheMaximum() {
        for (int i = 0; i < 1_000; i++) {
            assertThat(backoff.before(0)).isBetween(Duration.ofMillis(100), Duration.ofMillis(200));
            assertThat(backoff.before(1)).isBetween(Duration.ofMillis(200), Duration.ofMillis(400));
            assertThat(backoff.before(10)).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(2));
            assertThat(backoff.before(100)).as("no overflow on many retries").isBetween(Duration.ofSeconds(1), Duration.ofSeconds(2));
        }
    }
}
