package dev.sluice.gateway.routing;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TargetOrderTests {

    private static final Target GROQ = new Target("groq", "llama");
    private static final Target OPENROUTER = new Target("openrouter", "meta/llama");
    private static final Target TOGETHER = new Target("together", "llama");

    private final LatencyTracker latency = new LatencyTracker();
    private final TargetOrder order = new TargetOrder(latency);

    @Test
    void orderedKeepsTheConfiguredOrder() {
        Route route = new Route("fast", RouteStrategy.ORDERED, List.of(GROQ, OPENROUTER, TOGETHER), null);

        assertThat(order.order(route)).containsExactly(GROQ, OPENROUTER, TOGETHER);
    }

    @Test
    void leastLatencyPutsTheFastestFirstAndTriesUnmeasuredTargets() {
        latency.record(GROQ, 900_000_000);
        latency.record(OPENROUTER, 200_000_000);
        Route route = new Route("fast", RouteStrategy.LEAST_LATENCY, List.of(GROQ, OPENROUTER, TOGETHER), null);

        assertThat(order.order(route)).as("never measured, then fastest, then slowest")
                .containsExactly(TOGETHER, OPENROUTER, GROQ);
    }

    @Test
    void theAverageFollowsRecentSamples() {
        latency.record(GROQ, 100);
        for (int i = 0; i < 30; i++) {
            latency.record(GROQ, 1_000);
        }

        assertThat(latency.averageNanos(GROQ)).isBetween(990.0, 1_000.0);
    }

    @Test
    void weightedPutsEachTargetFirstInProportionToItsWeight() {
        Route route = new Route("fast", RouteStrategy.WEIGHTED, List.of(GROQ, OPENROUTER), List.of(3, 1));
        int groqFirst = 0;
        int runs = 20_000;
        for (int i = 0; i < runs; i++) {
            List<Target> ordered = order.order(route);
            assertThat(ordered).as("the other target stays as a fallback").containsExactlyInAnyOrder(GROQ, OPENROUTER);
            if (ordered.get(0).equals(GROQ)) {
                groqFirst++;
            }
        }

        assertThat(groqFirst / (double) runs).as("weight 3 of 4").isBetween(0.72, 0.78);
    }
}
