package dev.sluice.gateway.spend;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.sluice.gateway.conversation.HistoryWrite;
import dev.sluice.gateway.conversation.HistoryWriter;
import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.TokenEstimate;
import dev.sluice.gateway.routing.AliasesProperties;
import dev.sluice.gateway.routing.Route;
import dev.sluice.gateway.routing.Target;
import dev.sluice.gateway.web.Ids;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.stereotype.Component;

/**
 * What every call cost, worked out once when it ends: the tokens the provider reported (cached prompt tokens
 * among them, where it says so), else Sluice's estimate as the quota makes it (the estimated input plus a quarter
 * token per character streamed; the input alone when nothing came back; estimated); priced by the
 * {@link PriceBook}. The call's usage record goes to the history write-behind buffer ({@code usage_records}), and
 * the metrics {@code sluice_spend_usd_total} and {@code sluice_unpriced_calls_total} count it by provider and model.
 * <p>
 * A reply from the response cache, or shared with an identical request in flight, called no provider: it costs
 * nothing, and is recorded as one request with the replayed tokens, like the quota counts it. A request that
 * reached neither a provider nor the cache (refused, or failed before) is not a call, and is not recorded.
 */
@Component
public class Spending {

    /** OpenAI's {@code "prompt_tokens_details": {"cached_tokens": 1920, ...}}, as its usage carries it. */
    private static final Pattern CACHED_TOKENS = Pattern.compile("\"cached_tokens\"\\s*:\\s*(\\d+)");

    private final PriceBook prices;
    private final HistoryWriter writer;
    private final MeterRegistry registry;
    private final Map<Target, Counter> spent = new ConcurrentHashMap<>();
    private final Map<Target, Counter> unpriced = new ConcurrentHashMap<>();

    /** The counter of each alias's targets is there from the start, at 0, so that a rate over it has a beginning. */
    Spending(PriceBook prices, HistoryWriter writer, MeterRegistry registry, AliasesProperties aliases) {
        this.prices = prices;
        this.writer = writer;
        this.registry = registry;
        aliases.aliases().forEach((alias, route) -> route.targets().forEach(spec -> {
            Target target = Target.parse(spec);
            if (target != null) {
                if (prices.price(alias, target.provider(), target.model()).isPresent()) {
                    spent(target);
                }
                else {
                    unpriced(target);
                }
            }
        }));
    }

    /**
     * Works out what {@code call} cost and records it; {@code null} when it was not a call (see the class comment).
     * Once per request, when it has ended.
     */
    public CallCost ended(MeteredCall call) {
        Target target = call.target();
        boolean cacheHit = !call.promptSent();
        if (cacheHit) {
            target = Target.parse(call.providerElsewhere());
            if (target == null) {
                return null;
            }
        }
        CallCost cost = cost(call, target, cacheHit);
        Route route = call.route();
        if (!cacheHit) {
            count(new Target(target.provider(), route == null ? Route.OTHER : route.metricModel(target)), cost);
        }
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        writer.offer(new HistoryWrite.Usage(Ids.uuid(), call.caller().id(), call.caller().apiKeyId(), call.endUser(),
                call.kind(), call.model(), target.provider(), target.model(), LocalDate.from(now), cost.inputTokens(),
                cost.outputTokens(), cost.cachedInputTokens(), cost.usd(), cost.estimated(), cacheHit, now));
        return cost;
    }

    private CallCost cost(MeteredCall call, Target target, boolean cacheHit) {
        ChatChunk.Usage usage = call.usage();
        long input = usage != null ? usage.promptTokens() : call.estimatedInputTokens();
        long output = usage != null ? usage.completionTokens() : TokenEstimate.ofChars(call.replyChars());
        long cached = usage != null ? cachedTokens(usage) : 0;
        if (cacheHit) {
            return new CallCost(input, output, cached, 0L, false);
        }
        Route route = call.route();
        Optional<Price> price = prices.price(route == null ? null : route.name(), target.provider(), target.model());
        return new CallCost(input, output, cached, price.isPresent() ? price.get().costMicros(input, output, cached) : null,
                usage == null);
    }

    private static long cachedTokens(ChatChunk.Usage usage) {
        String details = usage.details().get("prompt_tokens_details");
        if (details == null) {
            return 0;
        }
        Matcher matcher = CACHED_TOKENS.matcher(details);
        return matcher.find() ? Long.parseLong(matcher.group(1)) : 0;
    }

    /** The metrics, tagged with the provider and the model as the request metrics tag it: bounded. */
    private void count(Target tags, CallCost cost) {
        if (cost.priced()) {
            spent(tags).increment(cost.micros() / 1_000_000.0);
        }
        else {
            unpriced(tags).increment();
        }
    }

    private Counter spent(Target tags) {
        return spent.computeIfAbsent(tags, key -> Counter.builder("sluice.spend.usd")
                .tag("provider", key.provider()).tag("model", key.model())
                .description("USD spent on providers, as priced").register(registry));
    }

    private Counter unpriced(Target tags) {
        return unpriced.computeIfAbsent(tags, key -> Counter.builder("sluice.unpriced.calls")
                .tag("provider", key.provider()).tag("model", key.model())
                .description("Calls to a model without a price: their cost is unknown").register(registry));
    }
}
