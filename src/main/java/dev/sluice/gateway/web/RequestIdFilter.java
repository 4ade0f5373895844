package dev.sluice.gateway.web;

import java.util.regex.Pattern;

import dev.sluice.gateway.accesslog.RequestLogContext;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Gives every exchange an id, echoing the client's {@code X-Request-ID} when it is a sane token, so that
 * a request can be followed from the client through nginx into the logs and error bodies; the access record learns
 * it here.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class RequestIdFilter implements WebFilter {

    public static final String HEADER = "X-Request-ID";
    private static final String ATTRIBUTE = RequestIdFilter.class.getName();
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String id = exchange.getRequest().getHeaders().getFirst(HEADER);
        if (id == null || !SAFE.matcher(id).matches()) {
            id = Ids.hex();
        }
        exchange.getAttributes().put(ATTRIBUTE, id);
        exchange.getResponse().getHeaders().set(HEADER, id);
        String decided = id;
        return Mono.deferContextual(context -> {
            RequestLogContext.exchange(context, decided, exchange.getAttributes()); // for its log lines and metrics
            return chain.filter(exchange);
        });
    }

    /** The id of this exchange, or {@code null} if it never passed this filter. */
    public static String requestId(ServerWebExchange exchange) {
        return exchange.getAttribute(ATTRIBUTE);
    }
}
