package dev.sluice.gateway.routing;

import org.springframework.http.HttpHeaders;

/**
 * The response headers that say who served a routed request: {@code X-Sluice-Provider} (the {@code provider/model}
 * called), {@code X-Sluice-Attempts} (the calls it took) and {@code X-Sluice-Overhead-Ms} (the time spent in the
 * gateway itself, upstream waiting excluded), the same on every API.
 */
public final class RoutingHeaders {

    public static final String PROVIDER = "X-Sluice-Provider";
    public static final String ATTEMPTS = "X-Sluice-Attempts";
    public static final String OVERHEAD = "X-Sluice-Overhead-Ms";

    private RoutingHeaders() {
    }

    /**
     * Sets the three from {@code tally}, as the response commits; the provider and attempts only when the request
     * made a call of its own.
     */
    public static void write(HttpHeaders headers, RoutingTally tally) {
        Target target = tally.target();
        if (target != null) {
            headers.set(PROVIDER, target.toString());
            headers.set(ATTEMPTS, Integer.toString(tally.attempts()));
        }
        headers.set(OVERHEAD, millis(tally.overheadNanos()));
    }

    /** Milliseconds with two decimals, without the cost of a formatter. */
    static String millis(long nanos) {
        long hundredths = (nanos + 5_000) / 10_000;
        long fraction = hundredths % 100;
        return hundredths / 100 + (fraction < 10 ? ".0" : ".") + fraction;
    }
}
