package dev.sluice.gateway.web;

import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.ServerRequest;
import reactor.core.publisher.Mono;

/** Reads a JSON request body, refusing other content types (415) and empty bodies (400) with a clear message. */
public final class JsonBody {

    private JsonBody() {
    }

    public static <T> Mono<T> read(ServerRequest request, Class<T> type) {
        MediaType contentType = request.headers().contentType().orElse(null);
        if (contentType == null || !(MediaType.APPLICATION_JSON.isCompatibleWith(contentType)
                || "json".equals(contentType.getSubtypeSuffix()))) {
            return Mono.error(new GatewayException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Content-Type "
                    + (contentType == null ? "is missing" : "'" + contentType + "' is not supported") + "; send application/json"));
        }
        return request.bodyToMono(type).switchIfEmpty(Mono.error(() ->
                new GatewayException(ErrorCode.INVALID_REQUEST, "The request body is empty; send a JSON object")));
    }
}
