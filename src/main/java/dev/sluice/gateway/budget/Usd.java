package dev.sluice.gateway.budget;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** Conversions between USD, as configured and shown, and micro-USD, as counted. */
final class Usd {

    static final long MICROS_PER_USD = 1_000_000;

    private Usd() {
    }

    /** USD to micro-USD, rounded half up (a budget is never finer than a micro-dollar). */
    static long toMicros(BigDecimal usd) {
        return usd.movePointRight(6).setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    /** {@link #toMicros}, where {@code null} (no such budget) stays {@code null}. */
    static Long toMicrosOrNull(BigDecimal usd) {
        return usd == null ? null : toMicros(usd);
    }

    /** Micro-USD to USD, exactly, without trailing zeros past the cents. */
    static BigDecimal ofMicros(long micros) {
        BigDecimal usd = BigDecimal.valueOf(micros, 6).stripTrailingZeros();
        return usd.scale() < 2 ? usd.setScale(2) : usd;
    }

    /** "$1.25": for messages. */
    static String format(long micros) {
        return "$" + ofMicros(micros).toPlainString();
    }
}
