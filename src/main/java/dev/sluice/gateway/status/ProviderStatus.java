package dev.sluice.gateway.status;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One provider as {@code GET /api/v1/status} shows it.
 *
 * @param uptimePct share of successful checks (probes and live calls) over the uptime window, 100 when none is known
 * @param latencyP50Ms median time to first token of recent live calls, else of probe answers; {@code null} when none is known
 * @param lastChecked the newest probe or live outcome, {@code null} before the first
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record ProviderStatus(
        String name,
        Availability status,
        CircuitState circuit,
        @JsonProperty("uptime_pct") double uptimePct,
        @JsonProperty("latency_p50_ms") Long latencyP50Ms,
        @JsonProperty("last_checked") @JsonFormat(shape = JsonFormat.Shape.STRING) Instant lastChecked) {
}
