package dev.sluice.gateway.routing.resilience;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * One provider's routing metrics, registered once so that the hot path only increments:
 * attempts by outcome, targets skipped by reason, key cooldowns, and time to first token by model.
 */
public final class ProviderMeters {

    /** How one upstream call ended. */
    public enum Outcome { OK, RATE_LIMITED, AUTH_REJECTED, REJECTED, UNAVAILABLE, TIMED_OUT, BROKEN, CANCELLED }

    /** Why a provider was passed over without a call. */
    public enum Skip { CIRCUIT_OPEN, BULKHEAD_FULL, BUDGET_SPENT, NO_USABLE_KEY }

    private final String provider;
    private final MeterRegistry registry;
    private final Map<Outcome, Counter> attempts = new EnumMap<>(Outcome.class);
    private final Map<Skip, Counter> skips = new EnumMap<>(Skip.class);
    private final Counter cooldowns;
    private final Map<String, Timer> firstToken = new ConcurrentHashMap<>();

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
                        .register(registry))
                .record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
}
