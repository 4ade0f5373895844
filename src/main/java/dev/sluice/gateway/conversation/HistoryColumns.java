package dev.sluice.gateway.conversation;

/** Fitting history rows' strings to their PostgreSQL columns, and weighing them for the buffer's byte bound. */
final class HistoryColumns {

    /** The ids, times, numbers and object headers of a row, about. */
    private static final long FIXED_WEIGHT = 256;

    private HistoryColumns() {
    }

    /**
     * The text without NUL characters, cut to at most {@code max} characters as PostgreSQL counts them (code
     * points, so a cut never splits a surrogate pair); {@code null} stays {@code null}.
     */
    static String fit(String text, int max) {
        if (text == null) {
            return null;
        }
        String clean = text.indexOf('\0') < 0 ? text : text.replace("\0", "");
        if (clean.length() <= max || clean.codePointCount(0, clean.length()) <= max) {
            return clean;
        }
        return clean.substring(0, clean.offsetByCodePoints(0, max));
    }

    /** A row's fixed part and its strings at two bytes a char. */
    static long weight(String... texts) {
        long weight = FIXED_WEIGHT;
        for (String text : texts) {
            weight += text == null ? 0 : 2L * text.length();
        }
        return weight;
    }
}
