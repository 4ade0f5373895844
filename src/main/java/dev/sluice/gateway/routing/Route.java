package dev.sluice.gateway.routing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;

/**
 * Where a model name leads: the targets to try, how to order them, and their weights for the weighted strategy.
 *
 * @param listed whether the name is in the configuration (an alias, or a direct model a provider lists by name),
 *        rather than any name a provider's {@code "*"} let through: only listed names become metric tags
 * @param direct whether the name is a direct {@code provider/model} rather than an alias
 */
public record Route(String name, RouteStrategy strategy, List<Target> targets, List<Integer> weights, boolean listed,
        boolean direct) {

    /** The metric tag of every model name that is not in the configuration. */
    public static final String OTHER = "other";

    public Route {
        targets = List.copyOf(targets);
        weights = weights == null || weights.isEmpty() ? Collections.nCopies(targets.size(), 1) : List.copyOf(weights);
    }

    /** An alias's route. */
    public Route(String name, RouteStrategy strategy, List<Target> targets, List<Integer> weights) {
        this(name, strategy, targets, weights, true, false);
    }

    /** A route of one target, as a direct {@code provider/model} request has. */
    public static Route direct(String name, Target target, boolean listed) {
        return new Route(name, RouteStrategy.ORDERED, List.of(target), null, listed, true);
    }

    /**
     * This route with only the targets {@code keep} accepts, each with its weight, in the same order: for a kind of
     * call that some providers do not offer. The route itself when it keeps them all.
     */
    public Route only(Predicate<Target> keep) {
        List<Target> kept = new ArrayList<>(targets.size());
        List<Integer> keptWeights = new ArrayList<>(targets.size());
        for (int i = 0; i < targets.size(); i++) {
            if (keep.test(targets.get(i))) {
                kept.add(targets.get(i));
                keptWeights.add(weights.get(i));
            }
        }
        return kept.size() == targets.size() ? this
                : new Route(name, strategy, kept, keptWeights, listed, direct);
    }

    /** The model name of a target for metric tags: its own when the route is configured, else {@value #OTHER}. */
    public String metricModel(Target target) {
        return listed ? target.model() : OTHER;
    }
}
