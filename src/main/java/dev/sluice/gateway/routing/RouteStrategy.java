package dev.sluice.gateway.routing;

/** How an alias orders its targets for each request. */
public enum RouteStrategy {
    /** As configured: the first is preferred, the rest are fallbacks. */
    ORDERED,
    /** Fastest time to first token first (moving average). */
    LEAST_LATENCY,
    /** Spread by weight. */
    WEIGHTED
}
