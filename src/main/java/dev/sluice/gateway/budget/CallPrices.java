package dev.sluice.gateway.budget;

import dev.sluice.gateway.routing.Route;
import dev.sluice.gateway.routing.Target;
import dev.sluice.gateway.spend.Price;
import dev.sluice.gateway.spend.PriceBook;

/**
 * A call's worst case for its budgets, in micro-USD, at the spend's prices; what it really cost is spend's
 * {@link dev.sluice.gateway.spend.CallCosts}.
 */
final class CallPrices {

    private final PriceBook prices;

    CallPrices(PriceBook prices) {
        this.prices = prices;
    }

    /** The most a call can cost at any target of {@code route}; an unpriced target counts as free. */
    long worstCase(Route route, long promptTokens, long replyCap) {
        long worst = 0;
        for (Target target : route.targets()) {
            Price price = price(route, target);
            if (price != null) {
                worst = Math.max(worst, price.worstCaseMicros(promptTokens, replyCap));
            }
        }
        return worst;
    }

    private Price price(Route route, Target target) {
        return prices.price(route.name(), target.provider(), target.model()).orElse(null);
    }
}
