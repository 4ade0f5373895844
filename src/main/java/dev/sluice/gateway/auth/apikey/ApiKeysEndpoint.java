package dev.sluice.gateway.auth.apikey;

import java.util.UUID;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.web.GatewayException;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/** {@code POST/GET /api/v1/keys} and {@code DELETE /api/v1/keys/{id}}: the caller's own API keys. */
@Configuration(proxyBeanMethods = false)
class ApiKeysEndpoint {

    private final ApiKeys keys;

    ApiKeysEndpoint(ApiKeys keys) {
        this.keys = keys;
    }

    @Bean
    RouterFunction<ServerResponse> apiKeyRoutes() {
        return RouterFunctions.route()
                .POST("/api/v1/keys", this::create)
                .GET("/api/v1/keys", request -> Caller.current().flatMap(keys::list)
                        .flatMap(page -> ServerResponse.ok().bodyValue(page)))
                .DELETE("/api/v1/keys/{id}", this::revoke)
                .build();
    }

    private Mono<ServerResponse> create(ServerRequest request) {
        // The body is optional: {"name": "..."} labels the key.
        return request.bodyToMono(NewKey.class)
                .defaultIfEmpty(new NewKey(null))
                .zipWith(Caller.current())
                .flatMap(tuple -> keys.create(tuple.getT2(), tuple.getT1().name()))
                .flatMap(created -> ServerResponse.status(HttpStatus.CREATED).bodyValue(created));
    }

    private Mono<ServerResponse> revoke(ServerRequest request) {
        UUID id;
        try {
            id = UUID.fromString(request.pathVariable("id"));
        }
        catch (IllegalArgumentException notAnId) {
            return Mono.error(GatewayException.invalid("id", "is not a key id"));
        }
        return Caller.current().flatMap(caller -> keys.revoke(caller, id)).then(ServerResponse.noContent().build());
    }

    record NewKey(String name) {
    }
}
