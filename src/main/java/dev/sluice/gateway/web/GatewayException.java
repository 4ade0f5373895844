package dev.sluice.gateway.web;

import java.time.Duration;

/**
 * A failure with a known meaning for clients. The detail is shown to the caller, so it names the
 * problem (which field, which model) and never holds a secret. No stack trace: these are expected
 * outcomes, often on the hot path.
 */
public class GatewayException extends RuntimeException {

    private final ErrorCode code;
    private final String param;
    private final Duration retryAfter;

    public GatewayException(ErrorCode code, String detail) {
        this(code, detail, null, null);
    }

    public GatewayException(ErrorCode code, String detail, String param, Duration retryAfter) {
        super(detail, null, false, false);
        this.code = code;
        this.param = param;
        this.retryAfter = retryAfter;
    }

    public static GatewayException invalid(String param, String detail) {
        return new GatewayException(ErrorCode.INVALID_REQUEST, param + ": " + detail, param, null);
    }

    public ErrorCode code() {
        return code;
    }

    /** The request field at fault, or {@code null}. */
    public String param() {
        return param;
    }

    /** How long the client should wait before trying again, or {@code null}. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
