package dev.sluice.bench;

import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When something happened to one benchmark request, by the id its prompt carries: the load client's close and the
 * fake's cancel of the same stream, joined by {@code bench/cancel.sh}. Both processes run on one machine and read
 * the same wall clock ({@link Instant#now()}: microseconds on Linux).
 */
record Stamp(String id, Instant at) {

    /** Prefix of a request id in the prompt text, the one part of a request that every proxy forwards unchanged. */
    static final String MARKER = "bench-id:";
    static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern MARKED = Pattern.compile(Pattern.quote(MARKER) + "(" + ID.pattern() + ")");

    /** The id marked in the text, or null. */
    static String idIn(String text) {
        Matcher m = MARKED.matcher(text);
        return m.find() ? m.group(1) : null;
    }

    long epochMicros() {
        return at.getEpochSecond() * 1_000_000 + at.getNano() / 1_000;
    }

    /** {@code id<TAB>microseconds since the epoch<LF>}. */
    String tsv() {
        return id + "\t" + epochMicros() + "\n";
    }
}
