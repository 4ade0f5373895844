package dev.sluice.gateway.status;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonValue;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;

/** A provider's {@code circuit} in {@code GET /api/v1/status}: resilience4j's states, as callers need them. */
public enum CircuitState {
    CLOSED, OPEN, HALF_OPEN;

    static CircuitState of(CircuitBreaker.State state) {
        if (state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN) {
            return OPEN;
        }
        if (state == CircuitBreaker.State.HALF_OPEN) {
            return HALF_OPEN;
        }
        // DISABLED and METRICS_ONLY let every call through, as a closed circuit does.
        return CLOSED;
    }

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
