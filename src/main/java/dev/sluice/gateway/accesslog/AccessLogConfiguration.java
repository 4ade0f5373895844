package dev.sluice.gateway.accesslog;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.web.RequestIdFilter;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.http.server.reactive.HttpHandlerDecoratorFactory;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

/**
 * The access log's hooks: around the whole HTTP handler, so that the line is written, and the request timed, once
 * the response is final, error handlers included; and two filters that tell it the request id and the caller.
 */
@Configuration(proxyBeanMethods = false)
class AccessLogConfiguration {

    /** Outside every filter and error handler: the record lives in the request's Reactor context. */
    @Bean
    HttpHandlerDecoratorFactory accessLogHandler(MeterRegistry registry) {
        RequestMetrics metrics = new RequestMetrics(registry);
        return handler -> (request, response) -> {
            String method = request.getMethod().name();
            AccessRecord record = new AccessRecord(method, request.getPath().value(), System.nanoTime());
            LongTaskTimer.Sample active = metrics.started(method, response);
            return handler.handle(request, response)
                    .doOnError(record::failed)
                    .doFinally(signal -> {
                        active.stop();
                        metrics.ended(record, response, signal);
                        AccessLog.write(record, response, signal);
                    })
                    .contextWrite(Context.of(RequestLogContext.KEY, record));
        };
    }

    @Bean
    WebFilter accessLogRequestId() {
        return new RequestIdForLogs();
    }

    @Bean
    WebFilter accessLogCaller() {
        return new CallerForLogs();
    }

    /** Right after {@link RequestIdFilter}, which decides the id; also the exchange's attributes, for the metrics. */
    static final class RequestIdForLogs implements WebFilter, Ordered {

        @Override
        public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
            return Mono.deferContextual(context -> {
                AccessRecord record = context.getOrDefault(RequestLogContext.KEY, null);
                if (record != null) {
                    record.requestId(RequestIdFilter.requestId(exchange));
                    record.attributes(exchange.getAttributes());
                }
                return chain.filter(exchange);
            });
        }

        @Override
        public int getOrder() {
            return Ordered.HIGHEST_PRECEDENCE + 3;
        }
    }

    /** After Spring Security (-100), which knows the caller, and before the rate limits (0), which may refuse them. */
    static final class CallerForLogs implements WebFilter, Ordered {

        @Override
        public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
            String path = exchange.getRequest().getPath().value();
            if (!path.startsWith("/v1/") && !path.startsWith("/api/v1/")) {
                return chain.filter(exchange);
            }
            return Mono.deferContextual(context -> {
                AccessRecord record = context.getOrDefault(RequestLogContext.KEY, null);
                if (record == null) {
                    return chain.filter(exchange);
                }
                return Caller.current()
                        .doOnNext(caller -> record.userId(caller.id()))
                        .then(chain.filter(exchange));
            });
        }

        @Override
        public int getOrder() {
            return -1;
        }
    }
}
