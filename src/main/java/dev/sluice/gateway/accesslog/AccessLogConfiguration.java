package dev.sluice.gateway.accesslog;

import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.server.reactive.HttpHandlerDecoratorFactory;
import reactor.util.context.Context;

/**
 * The access log's hook: around the whole HTTP handler, so that the line is written, and the request timed, once the
 * response is final, error handlers included. The filters that know the request id and the caller tell the record
 * ({@link RequestLogContext#exchange}, {@link RequestLogContext#caller}): the access log depends on no feature.
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
}
