package dev.sluice.gateway.routing;

import java.util.concurrent.ConcurrentHashMap;

import org.springframework.stereotype.Component;

/**
 * A moving average of each target's time to first token, for the least-latency strategy. Updates may race
 * and lose a sample now and then; an average does not mind, and no lock is taken on the hot path.
 */
@Component
public class LatencyTracker {

    /** Weight of the newest sample: about the last ten calls count. */
    private static final double ALPHA = 0.2;

    private final ConcurrentHashMap<Target, Average> averages = new ConcurrentHashMap<>();

    public void record(Target target, long nanos) {
        averages.computeIfAbsent(target, t -> new Average()).add(nanos);
    }

    /** The average in nanoseconds, or 0 for a target never measured (so that it gets tried). */
    public double averageNanos(Target target) {
        Average average = averages.get(target);
        return average == null ? 0 : average.value;
    }

    private static final class Average {
        volatile double value = Double.NaN;

        void add(long sample) {
            double current = value;
            value = Double.isNaN(current) ? sample : current + ALPHA * (sample - current);
        }
    }
}
