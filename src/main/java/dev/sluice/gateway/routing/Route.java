package dev.sluice.gateway.routing;

import java.util.Collections;
import java.util.List;

/** Where a model name leads: the targets to try, how to order them, and their weights for the weighted strategy. */
public record Route(String name, RouteStrategy strategy, List<Target> targets, List<Integer> weights) {

    public Route {
        targets = List.copyOf(targets);
        weights = weights == null || weights.isEmpty() ? Collections.nCopies(targets.size(), 1) : List.copyOf(weights);
    }

    /** A route of one target, as a direct {@code provider/model} request has. */
    public static Route direct(String name, Target target) {
        return new Route(name, RouteStrategy.ORDERED, List.of(target), null);
    }
}
