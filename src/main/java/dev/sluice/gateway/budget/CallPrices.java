package dev.sluice.gateway.budget;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.TokenEstimate;
import dev.sluice.gateway.routing.Route;
import dev.sluice.gateway.routing.Target;
import dev.sluice.gateway.spend.Price;
import dev.sluice.gateway.spend.PriceBook;

/** A call's cost for its budgets, in micro-USD, at the spend's prices: its worst case before, its real cost after. */
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

    /** What the call cost, by the rules in {@link Budgets}' comment. */
    long actual(Route route, long promptTokens, BudgetedCall call) {
        Target target = call.target();
        Price price = target == null ? null : price(route, target);
        if (price == null) {
            return 0;
        }
        ChatChunk.Usage reported = call.usage();
        if (reported != null) {
            return price.costMicros(reported.promptTokens(), reported.completionTokens(), 0);
        }
        long chars = call.replyChars();
        if (chars > 0) {
            return price.costMicros(promptTokens, TokenEstimate.ofChars(chars), 0);
        }
        return call.promptSent() ? price.costMicros(promptTokens, 0, 0) : 0;
    }

    private Price price(Route route, Target target) {
        return prices.price(route.name(), target.provider(), target.model()).orElse(null);
    }
}
