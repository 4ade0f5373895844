package dev.sluice.gateway.auth.apikey;

import java.time.Instant;
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
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * {@code POST/GET /api/v1/keys}, {@code PATCH} and {@code DELETE /api/v1/keys/{id}}: the caller's own API keys and
 * their scopes ({@link KeyFields}).
 */
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
                .PATCH("/api/v1/keys/{id}", this::update)
                .DELETE("/api/v1/keys/{id}", this::revoke)
                .build();
    }

    private Mono<ServerResponse> create(ServerRequest request) {
        // The body is optional: without one, an unscoped key named "default".
        return fields(request)
                .zipWith(Caller.current())
                .flatMap(tuple -> keys.create(tuple.getT2(), tuple.getT1()))
                .flatMap(created -> ServerResponse.status(HttpStatus.CREATED).bodyValue(created));
    }

    private Mono<ServerResponse> update(ServerRequest request) {
        UUID id = id(request);
        return fields(request)
                .zipWith(Caller.current())
                .flatMap(tuple -> keys.update(tuple.getT2(), id, tuple.getT1()))
                .flatMap(view -> ServerResponse.ok().bodyValue(view));
    }

    private Mono<ServerResponse> revoke(ServerRequest request) {
        UUID id = id(request);
        return Caller.current().flatMap(caller -> keys.revoke(caller, id)).then(ServerResponse.noContent().build());
    }

    private static Mono<KeyFields> fields(ServerRequest request) {
        return request.bodyToMono(JsonNode.class)
                .defaultIfEmpty(JsonNodeFactory.instance.objectNode())
                .map(body -> KeyFields.read(body, Instant.now()));
    }

    private static UUID id(ServerRequest request) {
        try {
            return UUID.fromString(request.pathVariable("id"));
        }
        catch (IllegalArgumentException notAnId) {
            throw GatewayException.invalid("id", "is not a key id");
        }
    }
}
