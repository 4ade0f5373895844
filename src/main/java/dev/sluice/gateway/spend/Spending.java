package dev.sluice.gateway.spend;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.sluice.gateway.conversation.HistoryWrite;
import dev.sluice.gateway.conversation.HistoryWriter;
import dev.sluice.gateway.routing.AliasesProperties;
import dev.sluice.gateway.routing.Route;
import dev.sluice.gateway.routing.Target;
import dev.sluice.gateway.web.Ids;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.stereotype.Component;

/**
 * What every call cost, recorded once when it ends: {@link CallCosts} works it out (the same amount its budgets are
 * charged), the call's usage record goes to the history write-behind buffer ({@code usage_records}), and the metrics
 * {@code sluice_spend_usd_total} and {@code sluice_unpriced_calls_total} count it by provider and model.
 * <p>
 * A reply from the response cache, or shared with an identical request in flight, called no provider: it costs
 * nothing, and is recorded as one request with the replayed tokens, like the quota counts it. A request that
 * reached neither a provider nor the cache (refused, or failed before) is not a call, and is not recorded.
 */
@Component
public class Spending {

    private final CallCosts costs;
    private final HistoryWriter writer;
    private final MeterRegistry registry;
    private final Map<Target, Counter> spent = new ConcurrentHashMap<>();
    private final Map<Target, Counter> unpriced = new ConcurrentHashMap<>();

    /** The counter of each alias's targets is there from the start, at 0, so that a rate over it has a beginning. */
    Spending(CallCosts costs, PriceBook prices, HistoryWriter writer, MeterRegistry registry, AliasesProperties aliases) {
        this.costs = costs;
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
     * Records what {@code call} cost (worked out here, or already by its budgets' settlement) and returns it;
     * {@code null} when it was not a call (see the class comment). Once per request, when it has ended.
     */
    public CallCost ended(MeteredCall call) {
        CallCost cost = costs.of(call);
        if (cost == null) {
            return null;
        }
        Target target = cost.target();
        Route route = call.route();
        if (!cost.replayed()) {
            count(new Target(target.provider(), route == null ? Route.OTHER : route.metricModel(target)), cost);
        }
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        writer.offer(new HistoryWrite.Usage(Ids.uuid(), call.caller().id(), call.caller().apiKeyId(), call.endUser(),
                call.kind(), call.model(), target.provider(), target.model(), LocalDate.from(now), cost.inputTokens(),
                cost.outputTokens(), cost.cachedInputTokens(), cost.usd(), cost.estimated(), cost.replayed(), now));
        return cost;
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
