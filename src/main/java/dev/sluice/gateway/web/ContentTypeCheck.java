package dev.sluice.gateway.web;

import java.util.List;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Refuses a {@code Content-Type} no parser takes (an unknown charset, a list of types, several header lines) with a
 * 415 naming it, on every endpoint, before anything downstream parses the header and fails with a 500.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 4)
public class ContentTypeCheck implements WebFilter {

    private static final int SHOWN = 100;

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        HttpHeaders headers = exchange.getRequest().getHeaders();
        List<String> values = headers.get(HttpHeaders.CONTENT_TYPE);
        if (values == null || values.isEmpty()) {
            return chain.filter(exchange);
        }
        if (values.size() > 1) {
            return Mono.error(refusal("Content-Type is sent " + values.size() + " times; send it once"));
        }
        try {
            headers.getContentType();
        }
        catch (InvalidMediaTypeException invalid) {
            return Mono.error(unreadable(values.get(0)));
        }
        return chain.filter(exchange);
    }

    /** For a Content-Type that could not be read; also {@link ApiErrorHandler}'s answer when one slips past. */
    static GatewayException unreadable(String value) {
        String shown = value.length() > SHOWN ? value.substring(0, SHOWN) + "..." : value;
        return refusal("Content-Type '" + shown + "' cannot be read (one media type, with a known charset if any); "
                + "send application/json");
    }

    private static GatewayException refusal(String detail) {
        return new GatewayException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, detail);
    }
}
