package dev.sluice.gateway.web;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a JSON request body, refusing other content types (415) and empty bodies (400) with a clear message.
 * <p>
 * Without a codec: the body's buffers are joined, up to {@code sluice.web.max-body-size} (past it, 413), and
 * parsed once by the application's mapper, which reads UTF-8, UTF-16 and UTF-32 as JSON allows. A parse
 * failure is Jackson's, which {@link ApiErrorHandler} turns into a 400 naming the line, column or field.
 */
@Component
public class JsonBody {

    private final JsonMapper json;
    private final int maxBytes;

    public JsonBody(JsonMapper json, WebProperties properties) {
        this.json = json;
        this.maxBytes = (int) Math.min(Integer.MAX_VALUE, properties.maxBodySize().toBytes());
    }

    public <T> Mono<T> read(ServerRequest request, Class<T> type) {
        MediaType contentType = request.headers().contentType().orElse(null);
        if (contentType == null || !(MediaType.APPLICATION_JSON.isCompatibleWith(contentType)
                || "json".equals(contentType.getSubtypeSuffix()))) {
            return Mono.error(new GatewayException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Content-Type "
                    + (contentType == null ? "is missing" : "'" + contentType + "' is not supported") + "; send application/json"));
        }
        return DataBufferUtils.join(request.exchange().getRequest().getBody(), maxBytes)
                .mapNotNull(body -> parse(body, type))
                .switchIfEmpty(Mono.error(() ->
                        new GatewayException(ErrorCode.INVALID_REQUEST, "The request body is empty; send a JSON object")));
    }

    private <T> T parse(DataBuffer body, Class<T> type) {
        try {
            return json.readValue(body.asInputStream(), type);
        }
        finally {
            DataBufferUtils.release(body);
        }
    }
}
