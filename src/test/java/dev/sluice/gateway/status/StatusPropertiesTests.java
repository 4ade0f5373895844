package dev.sluice.gateway.status;

import java.time.Duration;

import dev.sluice.gateway.config.InvalidConfigurationException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Status settings that cannot work stop the gateway at startup, naming the property. */
class StatusPropertiesTests {

    @Test
    void aZeroProbeIntervalTurnsProbesOff() {
        assertThat(withInterval(Duration.ZERO).probes()).isFalse();
        assertThat(StatusProperties.defaults().probes()).as("on every 30 s by default").isTrue();
    }

    @Test
    void aNegativeProbeIntervalIsRefused() {
        assertThatThrownBy(() -> withInterval(Duration.ofSeconds(-1)))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("sluice.status.probe-interval: must not be negative");
    }

    @Test
    void anEmptyRecentWindowIsRefused() {
        assertThatThrownBy(() -> new StatusProperties(Duration.ofSeconds(30), Duration.ofSeconds(3), Duration.ofSeconds(2),
                Duration.ofHours(24), 1000, Duration.ZERO, 0.25, Duration.ofDays(30)))
                .as("a failure rate over no time means nothing")
                .hasMessageStartingWith("sluice.status.recent-window");
    }

    private static StatusProperties withInterval(Duration interval) {
        return new StatusProperties(interval, Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofHours(24), 1000,
                Duration.ofMinutes(5), 0.25, Duration.ofDays(30));
    }
}
