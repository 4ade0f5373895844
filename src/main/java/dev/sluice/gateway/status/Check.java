package dev.sluice.gateway.status;

/**
 * One thing learned about a provider: a live call reached its first token (or failed), or a probe was
 * answered (or not).
 *
 * @param sequence order of recording within its provider, exact where timestamps tie
 * @param atMillis when it was recorded, epoch milliseconds
 * @param latencyNanos time to first token of a live call, or the time a probe took to be answered
 */
record Check(long sequence, long atMillis, Source source, boolean ok, long latencyNanos) {

    enum Source {
        /** A real call, as its circuit breaker saw it. */
        LIVE,
        /** The monitor's own request. */
        PROBE
    }
}
