package dev.sluice.gateway.web;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/** Serves {@code /health} and {@code /ready}, the short names load balancers are often set up with, from the actuator probes. */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
public class HealthAliasFilter implements WebFilter {

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().value();
        String target = switch (path) {
            case "/health" -> "/actuator/health/liveness";
            case "/ready" -> "/actuator/health/readiness";
            default -> null;
        };
        if (target == null) {
            return chain.filter(exchange);
        }
        return chain.filter(exchange.mutate().request(request -> request.path(target)).build());
    }
}
