package dev.sluice.gateway.web;

import java.time.Duration;

import org.springframework.boot.http.codec.CodecCustomizer;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Enforces {@code sluice.web.max-body-size}: a declared length over it is refused before a byte is read,
 * and {@link JsonBody} and the JSON decoders stop at it for bodies sent without a length (chunked).
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 2)
public class BodySizeLimit implements WebFilter, CodecCustomizer {

    private static final long DRAIN_LIMIT = 8L * 1024 * 1024;
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(5);

    private final long maxBytes;

    public BodySizeLimit(WebProperties properties) {
        this.maxBytes = properties.maxBodySize().toBytes();
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        long length = exchange.getRequest().getHeaders().getContentLength();
        if (length > maxBytes) {
            return length <= DRAIN_LIMIT ? discardBody(exchange).then(Mono.error(tooLarge())) : Mono.error(tooLarge());
        }
        return chain.filter(exchange);
    }

    /**
     * Reads a moderately oversized body to the end and drops it, so that the client, still sending, reads the 413:
     * answered unread, the connection closes on unread data, which resets it, and the client may see the reset
     * before the answer. A body over {@link #DRAIN_LIMIT} is not worth reading; its client sees the reset.
     */
    private static Mono<Void> discardBody(ServerWebExchange exchange) {
        return exchange.getRequest().getBody()
                .doOnNext(DataBufferUtils::release)
                .then()
                .timeout(DRAIN_TIMEOUT, Mono.empty());
    }

    @Override
    public void customize(org.springframework.http.codec.CodecConfigurer configurer) {
        configurer.defaultCodecs().maxInMemorySize((int) Math.min(Integer.MAX_VALUE, maxBytes));
    }

    GatewayException tooLarge() {
        return new GatewayException(ErrorCode.PAYLOAD_TOO_LARGE,
                "The request body is larger than the limit of " + maxBytes + " bytes");
    }
}
