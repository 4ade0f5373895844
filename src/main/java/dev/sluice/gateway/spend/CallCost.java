package dev.sluice.gateway.spend;

import java.math.BigDecimal;

import dev.sluice.gateway.routing.Target;

/**
 * What one call cost, once it has ended: what its usage record stores and what its budgets are charged.
 *
 * @param target who made the reply: the target the call sent to, or the one behind the cached or shared reply it got
 * @param replayed whether the reply came from the response cache or an identical request in flight: no provider was
 *        called for it, and it costs nothing
 * @param inputTokens prompt tokens, cached ones included
 * @param cachedInputTokens prompt tokens the provider read from its prompt cache
 * @param micros the cost in micro-USD, or {@code null} when the model has no price (unpriced is not free)
 * @param estimated whether the tokens, and so the cost, are Sluice's estimate: the provider reported no usage
 *        (the stream was cut, the client went away, the call failed)
 */
public record CallCost(Target target, boolean replayed, long inputTokens, long outputTokens, long cachedInputTokens,
        Long micros, boolean estimated) {

    public boolean priced() {
        return micros != null;
    }

    /** The cost in USD, or {@code null} when unpriced. */
    public BigDecimal usd() {
        return micros == null ? null : BigDecimal.valueOf(micros, 6);
    }
}
