package dev.sluice.gateway.status;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonValue;

/** A provider's {@code status} in {@code GET /api/v1/status}. */
public enum Availability {
    /** Answering, and nothing recent says otherwise. */
    UP,
    /** Answering, but recovering, failing now and then, or slow. */
    DEGRADED,
    /** Its circuit is open, or it could not be reached and nothing has succeeded since. */
    DOWN;

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
