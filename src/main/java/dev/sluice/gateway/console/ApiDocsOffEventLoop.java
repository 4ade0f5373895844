package dev.sluice.gateway.console;

import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * springdoc blocks where it serves the API description: it fills in Swagger UI's page and initializer by reading them
 * from its jar with a plain stream, and builds the document itself with a classpath scan under a lock (at startup in
 * the background, but a request that comes before that is done builds it, or waits for the lock). Those few requests
 * (someone opening {@code /docs}) run on the bounded elastic scheduler instead; nothing else pays for this but a path
 * check. The document's requests lose their {@code Accept-Language}: springdoc would build and keep one more document
 * for each language asked for, and the maintained document has one.
 */
@Component
class ApiDocsOffEventLoop implements WebFilter {

    private static final String SWAGGER_UI = "/swagger-ui/";
    private static final String API_DOCS = "/v3/api-docs";

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().value();
        if (path.startsWith(SWAGGER_UI)) {
            return chain.filter(exchange).subscribeOn(Schedulers.boundedElastic());
        }
        if (path.startsWith(API_DOCS)) {
            ServerWebExchange oneLanguage = exchange.mutate()
                    .request(request -> request.headers(headers -> headers.remove(HttpHeaders.ACCEPT_LANGUAGE)))
                    .build();
            return chain.filter(oneLanguage).subscribeOn(Schedulers.boundedElastic());
        }
        return chain.filter(exchange);
    }
}
