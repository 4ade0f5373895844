package dev.sluice.gateway.routing.resilience;

import java.util.HashMap;
import java.util.Map;

import dev.sluice.gateway.provider.Provider;
import dev.sluice.gateway.provider.ProviderProperties;
import dev.sluice.gateway.provider.ProviderRegistry;
import dev.sluice.gateway.provider.key.KeyPool;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowSynchronizationStrategy;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.stereotype.Component;

/**
 * One guard per provider, built at startup. Circuit breakers come from resilience4j's registry, so
 * {@code resilience4j.circuitbreaker.configs.default} and {@code .instances.<provider>} tune them.
 */
@Component
public class ProviderGuards {

    private final Map<String, ProviderGuard> guards = new HashMap<>();

    public ProviderGuards(ProviderRegistry providers, CircuitBreakerRegistry breakers, MeterRegistry registry) {
        for (Provider provider : providers.all()) {
            ProviderProperties settings = provider.properties();
            Bulkhead bulkhead = new Bulkhead(settings.maxConcurrency(), settings.maxQueue(), settings.maxQueueWait());
            Gauge.builder("sluice.bulkhead.in.use", bulkhead, Bulkhead::inUse).description("Calls in flight")
                    .tag("provider", provider.name()).register(registry);
            Gauge.builder("sluice.bulkhead.queued", bulkhead, Bulkhead::queued).description("Calls waiting for a slot")
                    .tag("provider", provider.name()).register(registry);
            Gauge.builder("sluice.provider.keys.disabled", provider.keys(), KeyPool::refusedKeys)
                    .description("API keys the provider refused, out of rotation until the status probe finds them accepted: alert on > 0")
                    .tag("provider", provider.name()).register(registry);
            guards.put(provider.name(), new ProviderGuard(lockFree(breakers, provider.name()), bulkhead,
                    Budget.of(settings.requestsPerMinute(), settings.tokensPerMinute()),
                    new ProviderMeters(provider.name(), registry)));
        }
    }

    /**
     * The provider's breaker as configured, but recording outcomes without a lock: every call to the
     * provider passes through it, and resilience4j's default window is synchronized.
     */
    private static CircuitBreaker lockFree(CircuitBreakerRegistry breakers, String name) {
        CircuitBreakerConfig configured = breakers.circuitBreaker(name).getCircuitBreakerConfig();
        CircuitBreaker breaker = CircuitBreaker.of(name, CircuitBreakerConfig.from(configured)
                .slidingWindowSynchronizationStrategy(SlidingWindowSynchronizationStrategy.LOCK_FREE)
                .build());
        breakers.replace(name, breaker);
        return breaker;
    }

    public ProviderGuard of(String provider) {
        return guards.get(provider);
    }
}
