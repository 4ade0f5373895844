package dev.sluice.gateway.web;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.sluice.gateway.accesslog.RequestLogContext;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.core.annotation.Order;
import org.springframework.core.codec.DecodingException;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.server.NotAcceptableStatusException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.UnsupportedMediaTypeStatusException;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes every failure in the shape its API promises: OpenAI's {@code {"error":{...}}} under {@code /v1},
 * RFC 9457 problem+json everywhere else. Anything a client sent gets a 4xx naming the problem; only a
 * bug in Sluice gives a 500, and that is logged with its stack trace.
 */
@Component
@Order(-2) // ahead of Spring Boot's own error handler
public class ApiErrorHandler implements WebExceptionHandler {

    private static final Log logger = LogFactory.getLog(ApiErrorHandler.class);
    private static final MediaType PROBLEM_JSON = MediaType.APPLICATION_PROBLEM_JSON;

    private final JsonMapper jsonMapper;

    public ApiErrorHandler(JsonMapper jsonMapper) {
        this.jsonMapper = jsonMapper;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable failure) {
        ServerHttpResponse response = exchange.getResponse();
        if (response.isCommitted()) {
            return Mono.error(failure);
        }
        return Mono.deferContextual(context -> write(exchange, RequestLogContext.withIds(context, () -> classify(failure))));
    }

    private Mono<Void> write(ServerWebExchange exchange, GatewayException error) {
        ServerHttpResponse response = exchange.getResponse();
        boolean openAi = isOpenAiPath(exchange.getRequest().getPath().value());
        Object body = openAi ? openAiBody(error) : problemBody(error, exchange);
        HttpHeaders headers = response.getHeaders();
        headers.remove(HttpHeaders.CACHE_CONTROL);
        headers.remove("X-Accel-Buffering");
        headers.setContentType(openAi ? MediaType.APPLICATION_JSON : PROBLEM_JSON);
        if (error.retryAfter() != null) {
            headers.set(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, error.retryAfter().toSeconds())));
        }
        response.setStatusCode(error.code().status());
        byte[] bytes = jsonMapper.writeValueAsBytes(body);
        DataBuffer buffer = response.bufferFactory().wrap(bytes);
        return response.writeWith(Mono.just(buffer));
    }

    public static boolean isOpenAiPath(String path) {
        return path.startsWith("/v1/");
    }

    public static Map<String, Object> openAiBody(GatewayException error) {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("message", error.getMessage());
        inner.put("type", error.code().openAiType());
        inner.put("param", error.param());
        inner.put("code", error.code().code());
        return Map.of("error", inner);
    }

    private static Map<String, Object> problemBody(GatewayException error, ServerWebExchange exchange) {
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", error.code().problemType());
        problem.put("title", error.code().title());
        problem.put("status", error.code().status().value());
        problem.put("detail", error.getMessage());
        problem.put("instance", exchange.getRequest().getPath().value());
        problem.put("code", error.code().code());
        problem.put("request_id", RequestIdFilter.requestId(exchange));
        return problem;
    }

    /** Reads any failure as a client-facing error; unknown ones are bugs, logged here, and become a plain 500. */
    public static GatewayException classify(Throwable failure) {
        if (failure instanceof GatewayException known) {
            return known;
        }
        if (causedBy(failure, DataBufferLimitException.class) != null) {
            return new GatewayException(ErrorCode.PAYLOAD_TOO_LARGE, "The request body is larger than the configured limit");
        }
        if (failure instanceof UnsupportedMediaTypeStatusException unsupported) {
            MediaType type = unsupported.getContentType();
            return new GatewayException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Content-Type "
                    + (type == null ? "is missing" : "'" + type + "' is not supported") + "; send application/json");
        }
        if (failure instanceof NotAcceptableStatusException) {
            return new GatewayException(ErrorCode.NOT_ACCEPTABLE, "None of the accepted media types can be produced");
        }
        JacksonException json = causedBy(failure, JacksonException.class);
        if (json != null) {
            return fromJson(json);
        }
        if (failure instanceof ServerWebInputException input) {
            return causedBy(failure, DecodingException.class) != null
                    ? new GatewayException(ErrorCode.INVALID_REQUEST, "The request body is not valid JSON")
                    : new GatewayException(ErrorCode.INVALID_REQUEST, input.getReason());
        }
        if (failure instanceof ResponseStatusException status) {
            int code = status.getStatusCode().value();
            if (code == 404) {
                return new GatewayException(ErrorCode.NOT_FOUND, "No such resource");
            }
            if (code == 413) {
                return new GatewayException(ErrorCode.PAYLOAD_TOO_LARGE, "The request body is larger than the configured limit");
            }
            if (code >= 400 && code < 500) {
                return new GatewayException(ErrorCode.INVALID_REQUEST, status.getReason());
            }
        }
        logger.error("Unexpected failure", failure);
        return new GatewayException(ErrorCode.INTERNAL, "Internal error");
    }

    private static GatewayException fromJson(JacksonException json) {
        String path = path(json);
        if (json instanceof StreamReadException || path.isEmpty()) {
            String where = json.getLocation() == null ? "" : " (line " + json.getLocation().getLineNr()
                    + ", column " + json.getLocation().getColumnNr() + ")";
            return new GatewayException(ErrorCode.INVALID_REQUEST, "The request body is not valid JSON" + where
                    + (path.isEmpty() ? "" : " at " + path));
        }
        return GatewayException.invalid(path, "has the wrong type or format");
    }

    /** The JSON path of the failing value, e.g. {@code messages[1].content}. */
    private static String path(JacksonException json) {
        StringBuilder path = new StringBuilder();
        for (JacksonException.Reference reference : json.getPath()) {
            if (reference.getPropertyName() != null) {
                if (!path.isEmpty()) {
                    path.append('.');
                }
                path.append(reference.getPropertyName());
            }
            else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    private static <T extends Throwable> T causedBy(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
