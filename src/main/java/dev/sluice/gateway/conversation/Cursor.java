package dev.sluice.gateway.conversation;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.UUID;

import dev.sluice.gateway.web.GatewayException;

/**
 * A keyset position in a list ordered by (time, id), newest first: the last item of a page. Clients see it as
 * an opaque string and pass it back as {@code before}.
 */
record Cursor(OffsetDateTime at, UUID id) {

    String encode() {
        Instant instant = at.toInstant();
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, instant);
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((micros + "_" + id).getBytes(StandardCharsets.US_ASCII));
    }

    /** The cursor in {@code before}, or {@code null} when there is none; a cursor we did not write is a 400. */
    static Cursor decode(String before) {
        if (before == null || before.isEmpty()) {
            return null;
        }
        try {
            String text = new String(Base64.getUrlDecoder().decode(before), StandardCharsets.US_ASCII);
            int separator = text.indexOf('_');
            long micros = Long.parseLong(text.substring(0, separator));
            Instant at = Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
            return new Cursor(OffsetDateTime.ofInstant(at, ZoneOffset.UTC), UUID.fromString(text.substring(separator + 1)));
        }
        catch (RuntimeException notOurs) {
            throw GatewayException.invalid("before", "is not a cursor from next_cursor");
        }
    }
}
