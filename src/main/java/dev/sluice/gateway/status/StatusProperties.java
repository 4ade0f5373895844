package dev.sluice.gateway.status;

import java.time.Duration;

import dev.sluice.gateway.config.InvalidConfigurationException;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * How providers are watched for {@code GET /api/v1/status} ({@code sluice.status.*}).
 *
 * @param probeInterval how often every provider is probed; {@code 0s} turns probes off (live calls still count)
 * @param probeTimeout how long a probe may wait for an answer, on top of the provider's connect timeout
 * @param slowProbe a probe answered slower than this makes its provider degraded
 * @param uptimeWindow how far back the uptime share looks
 * @param historySize most checks (probes and live calls) kept per provider; under heavy traffic they span less than the uptime window
 * @param recentWindow how far back the failure rate that makes a provider degraded looks
 * @param degradedFailureRate share of failed checks within the recent window, from 0 to 1, that makes a provider degraded
 * @param retention how long each probe round's statuses stay in the {@code provider_status} table
 */
@Validated
@ConfigurationProperties("sluice.status")
public record StatusProperties(
        @DefaultValue("30s") @NotNull Duration probeInterval,
        @DefaultValue("3s") @NotNull Duration probeTimeout,
        @DefaultValue("2s") @NotNull Duration slowProbe,
        @DefaultValue("24h") @NotNull Duration uptimeWindow,
        @DefaultValue("1000") @Positive @Max(100_000) int historySize,
        @DefaultValue("5m") @NotNull Duration recentWindow,
        @DefaultValue("0.25") @DecimalMin("0.0") @DecimalMax("1.0") double degradedFailureRate,
        @DefaultValue("30d") @NotNull Duration retention) {

    public StatusProperties {
        requireNotNegative("probe-interval", probeInterval);
        requirePositive("probe-timeout", probeTimeout);
        requirePositive("slow-probe", slowProbe);
        requirePositive("uptime-window", uptimeWindow);
        requirePositive("recent-window", recentWindow);
        requirePositive("retention", retention);
    }

    /** The defaults, as a test or a tool without Spring gets them. */
    public static StatusProperties defaults() {
        return new StatusProperties(Duration.ofSeconds(30), Duration.ofSeconds(3), Duration.ofSeconds(2),
                Duration.ofHours(24), 1000, Duration.ofMinutes(5), 0.25, Duration.ofDays(30));
    }

    public boolean probes() {
        return !probeInterval.isZero();
    }

    private static void requireNotNegative(String name, Duration value) {
        if (value != null && value.isNegative()) {
            throw new InvalidConfigurationException("sluice.status." + name, "must not be negative (0s turns probes off)");
        }
    }

    private static void requirePositive(String name, Duration value) {
        if (value != null && (value.isNegative() || value.isZero())) {
            throw new InvalidConfigurationException("sluice.status." + name, "must be longer than 0s");
        }
    }
}
