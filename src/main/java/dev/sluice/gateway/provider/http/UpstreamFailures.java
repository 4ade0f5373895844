package dev.sluice.gateway.provider.http;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.TimeoutException;

import dev.sluice.gateway.provider.ProviderProperties;
import dev.sluice.gateway.provider.UpstreamException;
import dev.sluice.gateway.provider.UpstreamException.StreamBroken;
import dev.sluice.gateway.provider.UpstreamException.TimedOut;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.timeout.ReadTimeoutException;
import reactor.netty.http.client.PrematureCloseException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.MissingNode;

/**
 * Types what went wrong with a call, so routing can choose between another key, a retry, the next
 * target or giving up: an error status with its body, or a transport failure with its cause chain.
 * The error bodies of OpenAI-compatible servers, Anthropic and Google (Gemini) are all read here.
 */
public final class UpstreamFailures {

    /** The most of an error body read; providers' error JSON is far smaller, HTML error pages are not. */
    static final int MAX_ERROR_BODY_BYTES = 8 * 1024;

    private static final int MAX_MESSAGE_CHARS = 500;
    private static final String RETRY_AFTER_MS = "retry-after-ms";
    /** Google's reason for a bad key, which it answers with 400 rather than 401. */
    private static final String GOOGLE_KEY_INVALID = "API_KEY_INVALID";
    /** OpenAI's code for a key it does not know, whatever the status. */
    private static final String OPENAI_KEY_INVALID = "invalid_api_key";
    /** Anthropic's error type for a bad key. */
    private static final String ANTHROPIC_KEY_INVALID = "authentication_error";
    /** OpenAI's code for an account out of credit: a 429 for the whole key, not for one model. */
    private static final String OPENAI_OUT_OF_QUOTA = "insufficient_quota";

    private final JsonMapper json;
    private final ProviderProperties.Timeouts timeouts;
    private final Clock clock;

    public UpstreamFailures(JsonMapper json, ProviderProperties.Timeouts timeouts, Clock clock) {
        this.json = json;
        this.timeouts = timeouts;
        this.clock = clock;
    }

    /** A non-2xx reply; {@code body} is its first bytes as text, {@code apiKey} is scrubbed from the message. */
    public UpstreamException fromStatus(int status, HttpHeaders headers, String body, String apiKey) {
        JsonNode root = parse(body);
        String detail = errorMessage(body, root);
        if (apiKey != null && !apiKey.isBlank()) {
            // Some vendors echo the key they were given; it must not reach logs or callers.
            detail = detail.replace(apiKey, "[redacted]");
        }
        String message = detail.isEmpty() ? "HTTP " + status : "HTTP " + status + ": " + detail;
        if (status == 429) {
            Duration retryAfter = retryAfter(headers);
            return new UpstreamException.RateLimited(retryAfter != null ? retryAfter : retryDelay(root), message,
                    hasCode(root, OPENAI_OUT_OF_QUOTA));
        }
        // Only a refused key disables it. A 403 is not one: OpenRouter answers 403 for flagged input, and one
        // caller's prompt must not take every key out of rotation.
        if (status == 401 || hasCode(root, OPENAI_KEY_INVALID) || hasCode(root, ANTHROPIC_KEY_INVALID)
                || hasReason(root, GOOGLE_KEY_INVALID)) {
            return new UpstreamException.AuthRejected(status, message);
        }
        if (status == 402) {
            // The gateway's account is out of credit: the operator's to fix, and another target may serve.
            return new UpstreamException.Unavailable(message);
        }
        if (status >= 400 && status < 500) {
            return new UpstreamException.Rejected(status, message);
        }
        return new UpstreamException.Unavailable(message);
    }

    /**
     * A failure before the reply's status arrived: the request may not even have reached the upstream,
     * so nothing here is a broken stream.
     */
    public UpstreamException beforeReply(Throwable failure) {
        return fromTransport(failure, false);
    }

    /** A failure while the reply's body was streaming. */
    public UpstreamException duringReply(Throwable failure) {
        return fromTransport(failure, true);
    }

    /**
     * An error object sent in the middle of a stream ({@code {"message": ...}} or a bare string, as each
     * vendor has it): the stream is broken, whatever came before.
     */
    public static StreamBroken errorEvent(JsonNode error) {
        String message = message(error);
        return new StreamBroken("upstream error: " + (message != null ? message : shorten(error.toString())));
    }

    private UpstreamException fromTransport(Throwable failure, boolean streaming) {
        // A transport error may come wrapped (Reactor wraps checked exceptions); the first cause known here decides.
        Throwable cause = failure;
        for (int depth = 0; cause != null && depth < 16; depth++, cause = cause.getCause()) {
            if (cause instanceof UpstreamException upstream) {
                return upstream;
            }
            if (cause instanceof ReadTimeoutException) {
                return new TimedOut(TimedOut.Phase.IDLE, timeouts.idle());
            }
            if (cause instanceof ConnectTimeoutException) {
                return new TimedOut(TimedOut.Phase.CONNECT, timeouts.connect());
            }
            if (cause instanceof PrematureCloseException) {
                return streaming ? new StreamBroken("upstream closed the connection mid-reply")
                        : new UpstreamException.Unavailable("upstream closed the connection before replying");
            }
            if (cause instanceof ConnectException || cause instanceof UnknownHostException
                    || cause instanceof NoRouteToHostException) {
                return new UpstreamException.Unavailable("cannot connect: " + describe(cause));
            }
            if (cause instanceof TimeoutException) {
                // The connection pool's acquire timeout: every connection busy for maxQueueWait.
                return new UpstreamException.Unavailable("no free connection: " + describe(cause));
            }
            if (streaming && cause instanceof IOException) {
                return new StreamBroken(describe(cause));
            }
        }
        // A full pool queue, a TLS failure, a closed pool...: the upstream cannot be used right now.
        return streaming ? new StreamBroken(describe(failure))
                : new UpstreamException.Unavailable(describe(failure));
    }

    /**
     * How long a 429 asks us to wait: {@code retry-after-ms} (OpenAI's), else {@code Retry-After} in
     * seconds or as an HTTP date; {@code null} when absent or unreadable.
     */
    Duration retryAfter(HttpHeaders headers) {
        Duration millis = amount(headers.get(RETRY_AFTER_MS), 1);
        if (millis != null) {
            return millis;
        }
        String value = headers.get(HttpHeaderNames.RETRY_AFTER);
        if (value == null) {
            return null;
        }
        Duration seconds = amount(value, 1000);
        if (seconds != null) {
            return seconds;
        }
        try {
            ZonedDateTime at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
            Duration wait = Duration.between(clock.instant(), at.toInstant());
            return wait.isNegative() ? Duration.ZERO : wait;
        }
        catch (DateTimeParseException e) {
            return null;
        }
    }

    /**
     * Google puts the wait in the body rather than a header: a {@code google.rpc.RetryInfo} among the
     * error's details, {@code {"retryDelay": "36s"}}.
     */
    private static Duration retryDelay(JsonNode root) {
        for (JsonNode detail : root.path("error").path("details")) {
            String delay = detail.path("retryDelay").asString("");
            if (delay.endsWith("s")) {
                return amount(delay.substring(0, delay.length() - 1), 1000);
            }
        }
        return null;
    }

    /** Whether the error's {@code code} or {@code type} (OpenAI's and Anthropic's shapes) is this. */
    private static boolean hasCode(JsonNode root, String code) {
        JsonNode error = root.path("error");
        return code.equals(error.path("code").asString(null)) || code.equals(error.path("type").asString(null));
    }

    /** Whether a {@code google.rpc.ErrorInfo} among the error's details gives this reason. */
    private static boolean hasReason(JsonNode root, String reason) {
        for (JsonNode detail : root.path("error").path("details")) {
            if (reason.equals(detail.path("reason").asString(null))) {
                return true;
            }
        }
        return false;
    }

    /** A number of units of {@code millisPerUnit} ms, fractions allowed; {@code null} if not one. */
    private static Duration amount(String value, int millisPerUnit) {
        if (value == null) {
            return null;
        }
        try {
            double units = Double.parseDouble(value.trim());
            if (!Double.isFinite(units) || units < 0) {
                return null;
            }
            return Duration.ofMillis(Math.round(units * millisPerUnit));
        }
        catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * The human part of an error body: the error's {@code message} (OpenAI, Anthropic, Google), a bare
     * {@code error} string (Ollama), {@code message} (vLLM), or FastAPI's {@code detail}; else the text
     * itself unless it is an HTML page.
     */
    String errorMessage(String body) {
        return errorMessage(body, parse(body));
    }

    private static String errorMessage(String body, JsonNode root) {
        String text = body.strip();
        if (text.isEmpty()) {
            return "";
        }
        for (JsonNode candidate : new JsonNode[] {root.path("error"), root.path("message"), root.path("detail")}) {
            String message = message(candidate);
            if (message != null) {
                return message;
            }
        }
        return text.charAt(0) == '<' ? "" : shorten(text);
    }

    /** A JSON error body (the first element where Google wraps it in an array), or a missing node. */
    private JsonNode parse(String body) {
        String text = body.strip();
        if (text.isEmpty() || (text.charAt(0) != '{' && text.charAt(0) != '[')) {
            return MissingNode.getInstance();
        }
        try {
            JsonNode root = json.readTree(text);
            return root.isArray() ? root.path(0) : root;
        }
        catch (JacksonException e) {
            // Cut at the size limit, or not JSON after all: the text stands for itself.
            return MissingNode.getInstance();
        }
    }

    /** An error's message: the error itself when it is a string, else its {@code message}; {@code null} if none. */
    private static String message(JsonNode error) {
        JsonNode message = error.isString() ? error : error.path("message");
        return message.isString() && !message.stringValue().isBlank() ? shorten(message.stringValue()) : null;
    }

    /** One line, at most {@value #MAX_MESSAGE_CHARS} characters. */
    public static String shorten(String text) {
        String oneLine = text.strip().replaceAll("\\s+", " ");
        return oneLine.length() <= MAX_MESSAGE_CHARS ? oneLine : oneLine.substring(0, MAX_MESSAGE_CHARS) + "…";
    }

    private static String describe(Throwable failure) {
        String message = failure.getMessage();
        return message == null || message.isBlank() ? failure.getClass().getSimpleName() : shorten(message);
    }
}
