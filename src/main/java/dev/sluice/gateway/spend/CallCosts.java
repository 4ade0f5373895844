package dev.sluice.gateway.spend;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.TokenEstimate;
import dev.sluice.gateway.routing.Route;
import dev.sluice.gateway.routing.Target;
import org.springframework.stereotype.Component;

/**
 * The one place that works out what a call cost, once per call ({@link MemoisedCost}), for its usage record and its
 * budgets alike: the tokens the provider reported (cached prompt tokens among them, where it says so), else Sluice's
 * estimate as the quota makes it (the estimated input plus a quarter token per character streamed; the input alone
 * when nothing came back; estimated); priced by the {@link PriceBook} at the target that served.
 * <p>
 * A reply from the response cache, or shared with an identical request in flight, called no provider: it costs
 * nothing, with the replayed tokens. A request that reached neither a provider nor the cache (refused, or failed
 * before) is not a call: {@code null}.
 */
@Component
public class CallCosts {

    /** OpenAI's {@code "prompt_tokens_details": {"cached_tokens": 1920, ...}}, as its usage carries it. */
    private static final Pattern CACHED_TOKENS = Pattern.compile("\"cached_tokens\"\\s*:\\s*(\\d+)");

    private final PriceBook prices;

    public CallCosts(PriceBook prices) {
        this.prices = prices;
    }

    /** What {@code call} cost, or {@code null} when it was not a call; asked once it has ended. */
    public CallCost of(MeteredCall call) {
        return call.cost().get(() -> workedOut(call));
    }

    private CallCost workedOut(MeteredCall call) {
        boolean replayed = !call.promptSent();
        Target target = replayed ? Target.parse(call.providerElsewhere()) : call.target();
        if (target == null) {
            return null;
        }
        ChatChunk.Usage usage = call.usage();
        long input = usage != null ? usage.promptTokens() : call.estimatedInputTokens();
        long output = usage != null ? usage.completionTokens() : TokenEstimate.ofChars(call.replyChars());
        long cached = usage != null ? cachedTokens(usage) : 0;
        if (replayed) {
            return new CallCost(target, true, input, output, cached, 0L, false);
        }
        Route route = call.route();
        Optional<Price> price = prices.price(route == null ? null : route.name(), target.provider(), target.model());
        return new CallCost(target, false, input, output, cached,
                price.isPresent() ? price.get().costMicros(input, output, cached) : null, usage == null);
    }

    private static long cachedTokens(ChatChunk.Usage usage) {
        String details = usage.details().get("prompt_tokens_details");
        if (details == null) {
            return 0;
        }
        Matcher matcher = CACHED_TOKENS.matcher(details);
        return matcher.find() ? Long.parseLong(matcher.group(1)) : 0;
    }
}
