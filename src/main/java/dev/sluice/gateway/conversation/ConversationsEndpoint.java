package dev.sluice.gateway.conversation;

import java.util.UUID;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.util.DigestUtils;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code GET /api/v1/conversations}, {@code GET /api/v1/conversations/{id}/messages} (both newest first,
 * {@code limit} and {@code before} for keyset pages, an {@code ETag} so that an unchanged page costs a 304)
 * and {@code DELETE /api/v1/conversations/{id}}. A conversation of someone else's is a 404, never a 403, so
 * that ids do not leak.
 */
@Configuration(proxyBeanMethods = false)
class ConversationsEndpoint {

    private final Conversations conversations;
    private final JsonMapper json;

    ConversationsEndpoint(Conversations conversations, JsonMapper json) {
        this.conversations = conversations;
        this.json = json;
    }

    @Bean
    RouterFunction<ServerResponse> conversationRoutes() {
        return RouterFunctions.route()
                .GET("/api/v1/conversations", request -> Mono.defer(() -> list(request)))
                .GET("/api/v1/conversations/{id}/messages", request -> Mono.defer(() -> messages(request)))
                .DELETE("/api/v1/conversations/{id}", request -> Mono.defer(() -> delete(request)))
                .build();
    }

    private Mono<ServerResponse> list(ServerRequest request) {
        int limit = limit(request);
        Cursor before = Cursor.decode(request.queryParam("before").orElse(null));
        return Caller.current()
                .flatMap(caller -> conversations.list(caller.id(), limit, before))
                .flatMap(page -> withETag(request, json.writeValueAsBytes(page)));
    }

    private Mono<ServerResponse> messages(ServerRequest request) {
        UUID id = id(request);
        int limit = limit(request);
        Cursor before = Cursor.decode(request.queryParam("before").orElse(null));
        return Caller.current()
                .flatMap(caller -> conversations.messages(caller.id(), id, limit, before))
                .flatMap(page -> withETag(request, json.writeValueAsBytes(page)));
    }

    private Mono<ServerResponse> delete(ServerRequest request) {
        UUID id = id(request);
        return Caller.current()
                .flatMap(caller -> conversations.delete(caller.id(), id))
                .then(ServerResponse.noContent().build());
    }

    /** A strong ETag over the body itself: whatever changes the page changes its tag. */
    private static Mono<ServerResponse> withETag(ServerRequest request, byte[] body) {
        String etag = "\"" + DigestUtils.md5DigestAsHex(body) + "\"";
        return request.checkNotModified(etag)
                .switchIfEmpty(Mono.defer(() -> ServerResponse.ok().eTag(etag)
                        .contentType(MediaType.APPLICATION_JSON).bodyValue(body)));
    }

    private static UUID id(ServerRequest request) {
        try {
            return UUID.fromString(request.pathVariable("id"));
        }
        catch (IllegalArgumentException notAnId) {
            // Not an id we could have made: as unknown as any other.
            throw new GatewayException(ErrorCode.NOT_FOUND,
                    "No conversation with id " + request.pathVariable("id"));
        }
    }

    static int limit(ServerRequest request) {
        String text = request.queryParam("limit").orElse(null);
        if (text == null || text.isEmpty()) {
            return Conversations.DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(text);
            if (limit >= 1 && limit <= Conversations.MAX_LIMIT) {
                return limit;
            }
        }
        catch (NumberFormatException notANumber) {
            // answered below
        }
        throw GatewayException.invalid("limit", "must be a whole number from 1 to " + Conversations.MAX_LIMIT);
    }
}
