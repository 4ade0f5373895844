package dev.sluice.gateway.routing;

/**
 * What the router tells of one request as it routes it, kept where the request's stages and its response headers
 * can read it: whether it was routed at all, the target that serves (or was called last), how many calls it took,
 * and how long the request waited on upstreams, which is not the gateway's own time. Every API's per-request record
 * extends it (a chat's tally, an embeddings call), so the accounting is written once.
 * <p>
 * Written from the request's serialised signals; read on any thread (a client's cancel, the response's commit),
 * hence volatile.
 */
public class RoutingTally implements Router.Listener {

    private final long startedAt;
    private volatile Target servedBy;
    /** The target {@link #servedBy} named before the latest attempt, for an attempt withdrawn. */
    private Target triedBefore;
    private volatile int attempts;
    private volatile boolean upstreamActive;
    private volatile long upstreamSince;
    private volatile long upstreamNanos;
    private volatile boolean routed;

    /** @param startedAt {@link System#nanoTime()} when the request reached the gateway */
    protected RoutingTally(long startedAt) {
        this.startedAt = startedAt;
    }

    /** The request goes to the router (no cache answered it): its time in the gateway is metered. */
    public void routed() {
        routed = true;
    }

    @Override
    public void attempt(Target target) {
        triedBefore = servedBy;
        servedBy = target;
        attempts++;
    }

    @Override
    public void withdrawn() {
        servedBy = triedBefore;
        attempts--;
    }

    @Override
    public void upstreamStarted() {
        if (!upstreamActive) {
            upstreamSince = System.nanoTime();
            upstreamActive = true;
        }
    }

    @Override
    public void upstreamStopped() {
        if (upstreamActive) {
            upstreamActive = false;
            upstreamNanos += System.nanoTime() - upstreamSince;
        }
    }

    /** The target that serves (or was last tried) with a call of this request's own, or {@code null}. */
    public Target target() {
        return servedBy;
    }

    /** {@link #target()} as {@code provider/model}, or {@code null}. */
    public String servedBy() {
        Target target = servedBy;
        return target == null ? null : target.toString();
    }

    /** Calls this request made itself. */
    public int attempts() {
        return attempts;
    }

    /** Whether the request went to the router, for the overhead metric of routed requests. */
    public boolean wasRouted() {
        return routed;
    }

    /** Whether the request went upstream: then the provider read its input, whatever became of the reply. */
    public boolean promptSent() {
        return attempts > 0;
    }

    /** Time in the gateway so far (until the end, once the request has ended), upstream waiting excluded. */
    public long overheadNanos() {
        long now = System.nanoTime();
        long waited = upstreamNanos + (upstreamActive ? now - upstreamSince : 0);
        return Math.max(0, now - startedAt - waited);
    }
}
