package dev.sluice.gateway.console;

import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * springdoc fills in Swagger UI's page and initializer by reading them from its jar with a plain stream, which would
 * block the event-loop thread serving them. Those few requests (someone opening {@code /docs}) run on the bounded
 * elastic scheduler instead; nothing else pays for this but a path check.
 */
@Component
class SwaggerUiOffEventLoop implements WebFilter {

    private static final String SWAGGER_UI = "/swagger-ui/";

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (!exchange.getRequest().getPath().value().startsWith(SWAGGER_UI)) {
            return chain.filter(exchange);
        }
        return chain.filter(exchange).subscribeOn(Schedulers.boundedElastic());
    }
}
