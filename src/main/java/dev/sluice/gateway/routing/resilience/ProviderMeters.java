package dev.sluice.gateway.routing.resilience;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * One provider's routing metrics, registered once (per model on its first use) so that the hot path only
 * increments: attempts by outcome, targets skipped by reason, key cooldowns, and by model the time to first
 * token, tokens in and out, and the pace of replies in tokens a second.
 */
public final class ProviderMeters {

    /** How one upstream call ended. */
    public enum Outcome { OK, RATE_LIMITED, AUTH_REJECTED, REJECTED, UNAVAILABLE, TIMED_OUT, BROKEN, CANCELLED }

    /** Why a provider was passed over without a call; {@code UNSUPPORTED}: its protocol cannot express the request. */
    public enum Skip { CIRCUIT_OPEN, BULKHEAD_FULL, BUDGET_SPENT, NO_USABLE_KEY, UNSUPPORTED }

    /** Below this, the reply came in one piece (a non-streaming call) and its pace means nothing. */
    private static final long MIN_PACE_WINDOW_NANOS = 1_000_000;

    private final String provider;
    private final MeterRegistry registry;
    private final Map<Outcome, Counter> attempts = new EnumMap<>(Outcome.class);
    private final Map<Skip, Counter> skips = new EnumMap<>(Skip.class);
    private final Counter cooldowns;
    private final Map<String, Timer> firstToken = new ConcurrentHashMap<>();
    private final Map<String, ModelMeters> byModel = new ConcurrentHashMap<>();

    public ProviderMeters(String provider, MeterRegistry registry) {
        this.provider = provider;
        this.registry = registry;
        for (Outcome outcome : Outcome.values()) {
            attempts.put(outcome, Counter.builder("sluice.upstream.attempts").description("Calls to upstream providers")
                    .tag("provider", provider).tag("outcome", outcome.name().toLowerCase()).register(registry));
        }
        for (Skip skip : Skip.values()) {
            skips.put(skip, Counter.builder("sluice.upstream.skips").description("Providers passed over without a call")
                    .tag("provider", provider).tag("reason", skip.name().toLowerCase()).register(registry));
        }
        cooldowns = Counter.builder("sluice.provider.key.cooldowns").description("API keys rested after a 429")
                .tag("provider", provider).register(registry);
    }

    public void attempt(Outcome outcome) {
        attempts.get(outcome).increment();
    }

    public void skip(Skip reason) {
        skips.get(reason).increment();
    }

    public void cooldown() {
        cooldowns.increment();
    }

    public void firstToken(String model, long nanos) {
        firstToken.computeIfAbsent(model, m -> Timer.builder("sluice.upstream.first.token")
                        .description("Time from sending a call to its first token")
                        .tag("provider", provider).tag("model", m)
                        .publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofMillis(1))
                        .maximumExpectedValue(Duration.ofMinutes(2))
                        .register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * A reply's usage as its provider reported it, and its pace: completion tokens over the time from the
     * first token to the usage (which comes last), when that time is known.
     */
    public void usage(String model, int promptTokens, int completionTokens, long nanosSinceFirstToken) {
        ModelMeters meters = byModel.computeIfAbsent(model, ModelMeters::new);
        meters.tokensIn.increment(promptTokens);
        meters.tokensOut.increment(completionTokens);
        if (completionTokens > 1 && nanosSinceFirstToken >= MIN_PACE_WINDOW_NANOS) {
            meters.pace.record(completionTokens * 1e9 / nanosSinceFirstToken);
        }
    }

    private final class ModelMeters {

        final Counter tokensIn;
        final Counter tokensOut;
        final DistributionSummary pace;

        ModelMeters(String model) {
            tokensIn = tokens(model, "in");
            tokensOut = tokens(model, "out");
            pace = DistributionSummary.builder("sluice.upstream.tokens.per.second")
                    .description("Pace of replies: completion tokens a second after the first token")
                    .tag("provider", provider).tag("model", model)
                    .serviceLevelObjectives(5, 10, 20, 50, 100, 200, 500, 1000)
                    .register(registry);
        }

        private Counter tokens(String model, String direction) {
            return Counter.builder("sluice.tokens").description("Tokens as providers reported them: in = prompt, out = completion")
                    .baseUnit("tokens").tag("provider", provider).tag("model", model).tag("direction", direction)
                    .register(registry);
        }
    }
}
