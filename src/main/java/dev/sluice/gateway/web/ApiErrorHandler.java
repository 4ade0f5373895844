package dev.sluice.gateway.web;

import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import dev.sluice.gateway.accesslog.RequestLogContext;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.core.annotation.Order;
import org.springframework.core.codec.DecodingException;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.dao.TransientDataAccessResourceException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.stereotype.Component;
import org.springframework.web.server.NotAcceptableStatusException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.UnsupportedMediaTypeStatusException;
import org.springframework.web.server.WebExceptionHandler;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTimeoutException;
import io.r2dbc.spi.R2dbcTransientResourceException;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.channel.AbortedException;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes every failure in the shape its API promises: Anthropic's {@code {"type":"error","error":{...}}} under
 * {@code /v1/messages}, OpenAI's {@code {"error":{...}}} elsewhere under {@code /v1}, RFC 9457 problem+json
 * everywhere else. Anything a client sent gets a 4xx naming the problem; only a
 * bug in Sluice gives a 500, and that is logged with its stack trace. A database that does not answer is a 503
 * ({@link ErrorCode#STORE_UNAVAILABLE}), logged once a minute at most.
 * <p>
 * A failure after the response went out cannot change the answer any more. A stream that broke: the connection
 * is closed, so that the client sees the stream end as an error, not as a complete reply, and one WARN line is
 * logged. A request body Netty could not decode: Netty answered 400 and logged its WARN line itself. Either is
 * recorded with the status that went out, not as a 500 nobody saw.
 */
@Component
@Order(-2) // ahead of Spring Boot's own error handler
public class ApiErrorHandler implements WebExceptionHandler {

    private static final Log logger = LogFactory.getLog(ApiErrorHandler.class);
    private static final MediaType PROBLEM_JSON = MediaType.APPLICATION_PROBLEM_JSON;
    private static final String ANTHROPIC_PATH = "/v1/messages";
    private static final Duration STORE_RETRY_AFTER = Duration.ofSeconds(5);
    private static final Duration STORE_LOG_QUIET = Duration.ofMinutes(1);
    /** When a store failure was last logged, so that an outage is one line a minute rather than one a request. */
    private static final AtomicLong storeLogged = new AtomicLong(System.nanoTime() - STORE_LOG_QUIET.toNanos());

    private final JsonMapper jsonMapper;

    public ApiErrorHandler(JsonMapper jsonMapper) {
        this.jsonMapper = jsonMapper;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable failure) {
        ServerHttpResponse response = exchange.getResponse();
        if (response.isCommitted() || sentByNetty(response)) {
            return afterCommit(exchange, failure);
        }
        return Mono.deferContextual(context -> write(exchange, RequestLogContext.withIds(context, () -> classify(failure))));
    }

    private Mono<Void> write(ServerWebExchange exchange, GatewayException error) {
        ServerHttpResponse response = exchange.getResponse();
        String path = exchange.getRequest().getPath().value();
        boolean openAi = isOpenAiPath(path);
        Object body = isAnthropicPath(path) ? anthropicBody(error, RequestIdFilter.requestId(exchange))
                : openAi ? openAiBody(error) : problemBody(error, exchange);
        HttpHeaders headers = response.getHeaders();
        headers.remove(HttpHeaders.CACHE_CONTROL);
        headers.remove("X-Accel-Buffering");
        headers.setContentType(openAi ? MediaType.APPLICATION_JSON : PROBLEM_JSON);
        if (error.retryAfter() != null) {
            headers.set(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, error.retryAfter().toSeconds())));
        }
        if (error instanceof LimitExceeded limit) {
            limit.writeHeaders(headers);
        }
        response.setStatusCode(error.code().status());
        byte[] bytes = jsonMapper.writeValueAsBytes(body);
        DataBuffer buffer = response.bufferFactory().wrap(bytes);
        return response.writeWith(Mono.just(buffer));
    }

    /**
     * Reactor Netty answers some broken requests itself (a chunked body it cannot decode gets its 400) while the
     * exchange does not know yet: writing an error then fails with "Status and headers already sent".
     */
    private static boolean sentByNetty(ServerHttpResponse response) {
        return ServerHttpResponseDecorator.getNativeResponse(response) instanceof HttpServerResponse netty
                && netty.hasSentHeaders();
    }

    private static Mono<Void> afterCommit(ServerWebExchange exchange, Throwable failure) {
        ServerHttpResponse response = exchange.getResponse();
        String request = exchange.getRequest().getMethod() + " " + exchange.getRequest().getPath().value();
        if (!response.isCommitted()) {
            // Netty answered (400) and logged its WARN line: record what went out, and mark the exchange committed so
            // that nothing tries to write again. Netty closes the connection itself.
            logger.debug(request + ": Netty already answered a request it could not decode: " + failure);
            response.setStatusCode(HttpStatus.BAD_REQUEST);
            return response.setComplete().onErrorComplete();
        }
        if (isClientGone(failure)) {
            logger.debug(request + ": the client went away: " + failure);
        }
        else {
            logger.warn(request + " failed after its response was committed; the connection is closed ("
                    + failure.getClass().getSimpleName() + ": " + failure.getMessage() + ")");
        }
        return Mono.fromRunnable(() -> {
            if (ServerHttpResponseDecorator.getNativeResponse(response) instanceof Connection connection) {
                connection.channel().close();
            }
        });
    }

    private static boolean isClientGone(Throwable failure) {
        return failure instanceof AbortedException || AbortedException.isConnectionReset(failure)
                || causedBy(failure, ClosedChannelException.class) != null;
    }

    public static boolean isOpenAiPath(String path) {
        return path.startsWith("/v1/");
    }

    /** Anthropic's Messages API, {@code /v1/messages} and what is under it, which has its own error shape. */
    public static boolean isAnthropicPath(String path) {
        return path.startsWith(ANTHROPIC_PATH)
                && (path.length() == ANTHROPIC_PATH.length() || path.charAt(ANTHROPIC_PATH.length()) == '/');
    }

    /**
     * Anthropic's error shape, {@code {"type":"error","error":{"type","message"}}}, with the request id as Anthropic
     * adds it; {@code requestId} may be {@code null} (an event inside a stream, whose headers carry it).
     */
    public static Map<String, Object> anthropicBody(GatewayException error, String requestId) {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("type", error.code().anthropicType());
        inner.put("message", error.getMessage());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "error");
        body.put("error", inner);
        if (requestId != null) {
            body.put("request_id", requestId);
        }
        return body;
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
        if (isStoreFailure(failure)) {
            logStoreFailure(failure);
            return new GatewayException(ErrorCode.STORE_UNAVAILABLE,
                    "The store is unavailable right now (the database does not answer); retry in a few seconds", null,
                    STORE_RETRY_AFTER);
        }
        InvalidMediaTypeException mediaType = causedBy(failure, InvalidMediaTypeException.class);
        if (mediaType != null) {
            return ContentTypeCheck.unreadable(mediaType.getMediaType());
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

    /**
     * PostgreSQL unreachable, its pool exhausted, or a call that timed out. A bare {@link TimeoutException} is one:
     * upstream timeouts arrive typed, so the timeouts left are the ones put on database calls.
     */
    private static boolean isStoreFailure(Throwable failure) {
        return causedBy(failure, DataAccessResourceFailureException.class) != null
                || causedBy(failure, TransientDataAccessResourceException.class) != null
                || causedBy(failure, QueryTimeoutException.class) != null
                || causedBy(failure, R2dbcNonTransientResourceException.class) != null
                || causedBy(failure, R2dbcTransientResourceException.class) != null
                || causedBy(failure, R2dbcTimeoutException.class) != null
                || causedBy(failure, TimeoutException.class) != null;
    }

    private static void logStoreFailure(Throwable failure) {
        long last = storeLogged.get();
        long now = System.nanoTime();
        if (now - last >= STORE_LOG_QUIET.toNanos() && storeLogged.compareAndSet(last, now)) {
            logger.warn("The database does not answer; requests that need it get 503 (" + failure + ")");
        }
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
