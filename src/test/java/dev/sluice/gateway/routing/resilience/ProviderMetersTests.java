package dev.sluice.gateway.routing.resilience;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProviderMetersTests {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ProviderMeters meters = new ProviderMeters("groq", registry);

    @Test
    void usageCountsTokensInAndOutByModel() {
        meters.usage("llama", 12, 40, 2_000_000_000L);
        meters.usage("llama", 8, 10, 1_000_000_000L);
        meters.usage("mixtral", 5, 5, 1_000_000_000L);

        assertThat(tokens("llama", "in")).isEqualTo(20);
        assertThat(tokens("llama", "out")).isEqualTo(50);
        assertThat(tokens("mixtral", "out")).isEqualTo(5);
    }

    @Test
    void paceIsCompletionTokensASecondAfterTheFirstToken() {
        meters.usage("llama", 12, 40, 2_000_000_000L);

        DistributionSummary pace = registry.get("sluice.upstream.tokens.per.second").tag("model", "llama").summary();
        assertThat(pace.count()).isOne();
        assertThat(pace.totalAmount()).as("40 tokens in 2 s").isEqualTo(20.0);
    }

    @Test
    void aReplyThatCameInOnePieceHasNoPace() {
        meters.usage("llama", 12, 40, 1_000);
        meters.usage("llama", 12, 1, 2_000_000_000L);

        assertThat(registry.get("sluice.upstream.tokens.per.second").summary().count())
                .as("non-streaming, or a single token: nothing to time").isZero();
    }

    private double tokens(String model, String direction) {
        return registry.get("sluice.tokens").tag("model", model).tag("direction", direction).counter().count();
    }
}
