package dev.sluice.gateway.cache;

import java.time.Duration;
import java.util.Map;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import dev.sluice.gateway.web.MethodNotAllowed;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * {@code POST /api/v1/admin/cache/clear}, for admins: removes every cached reply (all users, all replicas when in
 * Redis) and answers {@code {"cleared": N}}. A Redis that does not answer is a 503 with {@code Retry-After}.
 */
@Configuration(proxyBeanMethods = false)
class CacheEndpoint {

    private static final String CLEAR = "/api/v1/admin/cache/clear";
    private static final Duration CLEAR_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration RETRY_AFTER = Duration.ofSeconds(5);
    private static final Log logger = LogFactory.getLog(CacheEndpoint.class);

    private final ReplyCache cache;

    CacheEndpoint(ReplyCache cache) {
        this.cache = cache;
    }

    @Bean
    RouterFunction<ServerResponse> cacheRoutes() {
        return RouterFunctions.route()
                .POST(CLEAR, this::clear)
                .add(MethodNotAllowed.otherThan(HttpMethod.POST, CLEAR))
                .build();
    }

    private Mono<ServerResponse> clear(ServerRequest request) {
        return Caller.currentAdmin()
                .flatMap(admin -> cache.clear()
                        .timeout(CLEAR_TIMEOUT)
                        .onErrorMap(failure -> !(failure instanceof GatewayException), failure -> {
                            logger.warn("Could not clear the response cache: " + failure.getMessage());
                            return new GatewayException(ErrorCode.OVERLOADED,
                                    "The cache store did not answer; entries may remain", null, RETRY_AFTER);
                        })
                        .doOnNext(count -> logger.info("Response cache cleared by " + admin.email() + ": " + count + " entries")))
                .flatMap(count -> ServerResponse.ok().bodyValue(Map.of("cleared", count)));
    }

}
