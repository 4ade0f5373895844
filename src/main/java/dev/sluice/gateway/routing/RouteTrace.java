package dev.sluice.gateway.routing;

/**
 * What routing did for one request, for the response headers: who served, how many calls it took, and
 * how much of the time was spent waiting on upstreams rather than in the gateway itself.
 */
public final class RouteTrace implements Router.Listener {

    private final long startedAt = System.nanoTime();
    private volatile Target servedBy;
    private volatile int attempts;
    private volatile long upstreamNanos;
    private volatile long upstreamSince;
    private volatile boolean upstreamActive;

    @Override
    public void attempt(Target target) {
        servedBy = target;
        attempts++;
    }

    /** Time waiting on an upstream (a call, or a backoff before retrying one) starts, unless it runs already. */
    @Override
    public void upstreamStarted() {
        if (!upstreamActive) {
            upstreamSince = System.nanoTime();
            upstreamActive = true;
        }
    }

    /** Time waiting on an upstream ends. */
    @Override
    public void upstreamStopped() {
        if (upstreamActive) {
            upstreamActive = false;
            upstreamNanos += System.nanoTime() - upstreamSince;
        }
    }

    /** The target that is serving (or last tried), or {@code null} before the first attempt. */
    public Target servedBy() {
        return servedBy;
    }

    public int attempts() {
        return attempts;
    }

    /** Time in the gateway so far, upstream waiting excluded. */
    public long overheadNanos() {
        long now = System.nanoTime();
        long waited = upstreamNanos + (upstreamActive ? now - upstreamSince : 0);
        return Math.max(0, now - startedAt - waited);
    }
}
