package dev.sluice.bench;

import java.time.Duration;

/** Command-line durations: {@code 250us}, {@code 20ms}, {@code 30s}, {@code 2m}; a bare number is milliseconds. */
final class Durations {

    private Durations() {
    }

    static Duration parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("missing duration");
        }
        String t = text.trim().toLowerCase();
        int end = 0;
        while (end < t.length() && (Character.isDigit(t.charAt(end)) || t.charAt(end) == '.')) {
            end++;
        }
        if (end == 0) {
            throw new IllegalArgumentException("bad duration: " + text);
        }
        double amount = Double.parseDouble(t.substring(0, end));
        String unit = t.substring(end);
        double nanosPerUnit;
        switch (unit) {
            case "us" -> nanosPerUnit = 1e3;
            case "", "ms" -> nanosPerUnit = 1e6;
            case "s" -> nanosPerUnit = 1e9;
            case "m" -> nanosPerUnit = 60e9;
            default -> throw new IllegalArgumentException("bad duration unit in " + text + " (us, ms, s, m)");
        }
        return Duration.ofNanos(Math.round(amount * nanosPerUnit));
    }
}
