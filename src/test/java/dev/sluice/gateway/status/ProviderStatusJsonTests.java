package dev.sluice.gateway.status;

import java.time.Instant;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/** The wire shape of a status line, whatever the application's mapper settings. */
class ProviderStatusJsonTests {

    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void aStatusIsWrittenInSnakeCaseWithLowerCaseStatesAndAnIsoTimestamp() {
        ProviderStatus status = new ProviderStatus("groq", Availability.DEGRADED, CircuitState.HALF_OPEN, 99.5, 230L,
                Instant.parse("2025-03-01T12:00:00.250Z"));

        assertThat(json.writeValueAsString(status)).isEqualTo("{\"name\":\"groq\",\"status\":\"degraded\","
                + "\"circuit\":\"half_open\",\"uptime_pct\":99.5,\"latency_p50_ms\":230,"
                + "\"last_checked\":\"2025-03-01T12:00:00.250Z\"}");
    }

    @Test
    void unknownLatencyAndCheckTimeAreWrittenAsNull() {
        ProviderStatus status = new ProviderStatus("demo", Availability.UP, CircuitState.CLOSED, 100.0, null, null);

        assertThat(json.writeValueAsString(status)).as("null, not left out: clients read every field")
                .contains("\"latency_p50_ms\":null", "\"last_checked\":null");
    }
}
