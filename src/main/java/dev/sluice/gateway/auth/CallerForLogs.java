package dev.sluice.gateway.auth;

import dev.sluice.gateway.accesslog.RequestLogContext;
import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Tells the access record of an API request who is calling, for its access line and the log lines written while
 * serving it. After Spring Security (-100), which knows the caller, and before the rate limits (0), which may refuse
 * them.
 */
@Component
class CallerForLogs implements WebFilter, Ordered {

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().value();
        if (!path.startsWith("/v1/") && !path.startsWith("/api/v1/")) {
            return chain.filter(exchange);
        }
        return Mono.deferContextual(context -> Caller.current()
                .doOnNext(caller -> RequestLogContext.caller(context, caller.id()))
                .then(chain.filter(exchange)));
    }

    @Override
    public int getOrder() {
        return -1;
    }
}
