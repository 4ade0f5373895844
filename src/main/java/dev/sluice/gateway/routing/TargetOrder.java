package dev.sluice.gateway.routing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import org.springframework.stereotype.Component;

/** Puts a route's targets in the order one request tries them, by the route's strategy. */
@Component
class TargetOrder {

    private final LatencyTracker latency;

    TargetOrder(LatencyTracker latency) {
        this.latency = latency;
    }

    List<Target> order(Route route) {
        List<Target> targets = route.targets();
        if (targets.size() < 2) {
            return targets;
        }
        switch (route.strategy()) {
            case LEAST_LATENCY:
                List<Target> fastest = new ArrayList<>(targets);
                fastest.sort(Comparator.comparingDouble(latency::averageNanos));
                return fastest;
            case WEIGHTED:
                return weightedShuffle(targets, route.weights());
            default:
                return targets;
        }
    }

    /**
     * A random order in which each target comes first with a chance proportional to its weight, and the
     * rest follow as fallbacks (Efraimidis–Spirakis: sort by {@code -ln(u) / weight}).
     */
    private static List<Target> weightedShuffle(List<Target> targets, List<Integer> weights) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        double[] keys = new double[targets.size()];
        Integer[] indexes = new Integer[targets.size()];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = -Math.log(1 - random.nextDouble()) / weights.get(i);
            indexes[i] = i;
        }
        java.util.Arrays.sort(indexes, Comparator.comparingDouble(i -> keys[i]));
        List<Target> ordered = new ArrayList<>(targets.size());
        for (Integer index : indexes) {
            ordered.add(targets.get(index));
        }
        return ordered;
    }
}
