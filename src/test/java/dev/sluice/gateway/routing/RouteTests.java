package dev.sluice.gateway.routing;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A route narrowed to the targets a kind of call can go to keeps their order, weights and names. */
class RouteTests {

    private final Route weighted = new Route("smart", RouteStrategy.WEIGHTED,
            List.of(Target.parse("a/x"), Target.parse("b/y"), Target.parse("c/z")), List.of(5, 3, 2));

    @Test
    void onlyKeepsTheTargetsItAcceptsEachWithItsWeight() {
        Route narrowed = weighted.only(target -> !target.provider().equals("b"));

        assertThat(narrowed.targets()).containsExactly(Target.parse("a/x"), Target.parse("c/z"));
        assertThat(narrowed.weights()).as("each kept target's own weight").containsExactly(5, 2);
        assertThat(narrowed.name()).isEqualTo("smart");
        assertThat(narrowed.strategy()).isEqualTo(RouteStrategy.WEIGHTED);
        assertThat(narrowed.listed()).isTrue();
    }

    @Test
    void keepingEveryTargetIsTheRouteItselfAndKeepingNoneLeavesNoTarget() {
        assertThat(weighted.only(target -> true)).isSameAs(weighted);
        assertThat(weighted.only(target -> false).targets()).isEmpty();
    }
}
