package dev.sluice.gateway.routing.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;

/** What stands between requests and one provider: its circuit breaker, its concurrency limit and its budget. */
public record ProviderGuard(CircuitBreaker breaker, Bulkhead bulkhead, Budget budget, ProviderMeters meters) {
}
