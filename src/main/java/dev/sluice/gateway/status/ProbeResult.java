package dev.sluice.gateway.status;

import java.time.Duration;

/**
 * How one probe went.
 *
 * @param reachable whether the provider answered at all, with anything below a 5xx
 * @param latency how long the answer (or the failure) took
 * @param failure why it was not reachable, for the log; {@code null} when it was
 */
record ProbeResult(String provider, boolean reachable, Duration latency, String failure) {

    static ProbeResult reachable(String provider, Duration latency) {
        return new ProbeResult(provider, true, latency, null);
    }

    static ProbeResult failed(String provider, Duration latency, String failure) {
        return new ProbeResult(provider, false, latency, failure);
    }
}
