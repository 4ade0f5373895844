package dev.sluice.gateway.web;

import org.springframework.http.HttpStatus;

/**
 * The one table from a failure to what clients see: HTTP status, the problem+json {@code type} of
 * the native API, the error {@code type} and {@code code} of the OpenAI-compatible API, and the error {@code type}
 * of the Anthropic Messages API.
 */
public enum ErrorCode {
    INVALID_REQUEST(HttpStatus.BAD_REQUEST, "invalid_request_error", "invalid_request_error"),
    UNAUTHORIZED(HttpStatus.UNAUTHORIZED, "authentication_error", "authentication_error"),
    FORBIDDEN(HttpStatus.FORBIDDEN, "permission_error", "permission_error"),
    NOT_FOUND(HttpStatus.NOT_FOUND, "invalid_request_error", "not_found_error"),
    MODEL_NOT_FOUND(HttpStatus.NOT_FOUND, "invalid_request_error", "not_found_error"),
    METHOD_NOT_ALLOWED(HttpStatus.METHOD_NOT_ALLOWED, "invalid_request_error", "invalid_request_error"),
    NOT_ACCEPTABLE(HttpStatus.NOT_ACCEPTABLE, "invalid_request_error", "invalid_request_error"),
    CONFLICT(HttpStatus.CONFLICT, "invalid_request_error", "invalid_request_error"),
    PAYLOAD_TOO_LARGE(HttpStatus.CONTENT_TOO_LARGE, "invalid_request_error", "request_too_large"),
    UNSUPPORTED_MEDIA_TYPE(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "invalid_request_error", "invalid_request_error"),
    RATE_LIMITED(HttpStatus.TOO_MANY_REQUESTS, "rate_limit_error", "rate_limit_error"),
    /** A USD budget (the user's or the key's, daily or monthly) has no room for the call. */
    BUDGET_EXCEEDED(HttpStatus.TOO_MANY_REQUESTS, "rate_limit_error", "rate_limit_error"),
    /** The upstream refused the request's content (a parameter it does not take, a prompt too long...). */
    UPSTREAM_REJECTED(HttpStatus.BAD_REQUEST, "invalid_request_error", "invalid_request_error"),
    /**
     * No provider of the route can express a parameter of the request in its protocol (OpenAI's own code for a
     * parameter a model does not take).
     */
    UNSUPPORTED_PARAMETER(HttpStatus.BAD_REQUEST, "invalid_request_error", "invalid_request_error"),
    /** The upstream answered 403 for this request (flagged content, a region, a model the account may not use). */
    UPSTREAM_REFUSED(HttpStatus.FORBIDDEN, "permission_error", "permission_error"),
    /** The reply grew past {@code sluice.chat.max-reply-bytes} (embeddings: {@code sluice.embeddings.max-reply-bytes}) and was stopped. */
    REPLY_TOO_LARGE(HttpStatus.BAD_GATEWAY, "api_error", "api_error"),
    /** Every target of the route failed before answering. */
    UPSTREAM_FAILED(HttpStatus.BAD_GATEWAY, "api_error", "api_error"),
    /** The reply had started and then broke; only ever sent inside a stream. */
    STREAM_BROKEN(HttpStatus.BAD_GATEWAY, "api_error", "api_error"),
    UPSTREAM_TIMEOUT(HttpStatus.GATEWAY_TIMEOUT, "timeout_error", "api_error"),
    OVERLOADED(HttpStatus.SERVICE_UNAVAILABLE, "api_error", "overloaded_error"),
    /** PostgreSQL does not answer (unreachable, its pool exhausted, a call timed out): the client may retry soon. */
    STORE_UNAVAILABLE(HttpStatus.SERVICE_UNAVAILABLE, "api_error", "api_error"),
    INTERNAL(HttpStatus.INTERNAL_SERVER_ERROR, "api_error", "api_error");

    private final HttpStatus status;
    private final String openAiType;
    private final String anthropicType;

    ErrorCode(HttpStatus status, String openAiType, String anthropicType) {
        this.status = status;
        this.openAiType = openAiType;
        this.anthropicType = anthropicType;
    }

    public HttpStatus status() {
        return status;
    }

    /** The OpenAI error {@code type}. */
    public String openAiType() {
        return openAiType;
    }

    /** The Anthropic error {@code type}: {@code invalid_request_error}, {@code overloaded_error}... */
    public String anthropicType() {
        return anthropicType;
    }

    /** The machine-readable code: {@code model_not_found}, {@code rate_limited}... */
    public String code() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The problem+json {@code type} URI. */
    public String problemType() {
        return "https://sluice.dev/problems/" + code().replace('_', '-');
    }

    /** The problem+json {@code title}: the status's reason phrase. */
    public String title() {
        return status.getReasonPhrase();
    }
}
