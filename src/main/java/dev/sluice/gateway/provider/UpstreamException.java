package dev.sluice.gateway.provider;

import java.time.Duration;

/**
 * Why a call to an upstream failed, typed so that routing can decide what to do next
 * (another key, a backoff, the next target, or giving up). Stack traces are not filled in:
 * these are expected outcomes on the hot path, not bugs.
 */
public abstract sealed class UpstreamException extends RuntimeException {

    private UpstreamException(String message) {
        super(message, null, false, false);
    }

    /**
     * 429: this key is rate limited for the model called, or for every model when {@code everyModel} (the
     * provider said the limit is the key's or its account's); {@code retryAfter} is null when it did not say how long.
     */
    public static final class RateLimited extends UpstreamException {
        private final Duration retryAfter;
        private final boolean everyModel;

        public RateLimited(Duration retryAfter, String message, boolean everyModel) {
            super(message);
            this.retryAfter = retryAfter;
            this.everyModel = everyModel;
        }

        public Duration retryAfter() {
            return retryAfter;
        }

        public boolean everyModel() {
            return everyModel;
        }
    }

    /** A 401, or a vendor's explicit invalid-key error: the upstream refused this key. */
    public static final class AuthRejected extends UpstreamException {
        private final int status;

        public AuthRejected(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /**
     * 4xx other than a refused key and rate limits: the upstream refused the request itself (bad parameter, too
     * long, flagged content, a 403...); another key would be refused too.
     */
    public static final class Rejected extends UpstreamException {
        private final int status;

        public Rejected(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /**
     * The request asks for what this provider's protocol cannot express (a parameter, a content part, a value): it was
     * not sent, since leaving it out would answer another request than the caller's. Another provider may take it.
     */
    public static final class Unsupported extends UpstreamException {
        private final String parameter;

        /** @param parameter the request field at fault, as the caller named it ({@code logprobs}, {@code messages[2].content[0]}) */
        public Unsupported(String parameter, String message) {
            super(message);
            this.parameter = parameter;
        }

        public String parameter() {
            return parameter;
        }
    }

    /** 5xx, a 402 (the account is out of credit), a refused connection or a full connection pool: the upstream cannot serve right now. */
    public static final class Unavailable extends UpstreamException {
        public Unavailable(String message) {
            super(message);
        }
    }

    /** The upstream went silent for longer than one of its timeouts allows. */
    public static final class TimedOut extends UpstreamException {
        private final Phase phase;

        public TimedOut(Phase phase, Duration limit) {
            super("no " + phase.description + " within " + limit.toMillis() + " ms");
            this.phase = phase;
        }

        public Phase phase() {
            return phase;
        }

        public enum Phase {
            CONNECT("connection"), FIRST_TOKEN("first token"), IDLE("data between chunks"), TOTAL("end of reply");

            private final String description;

            Phase(String description) {
                this.description = description;
            }
        }
    }

    /** The stream broke after it had started: dropped connection, malformed data, or an error event mid-stream. */
    public static final class StreamBroken extends UpstreamException {
        public StreamBroken(String message) {
            super(message);
        }
    }
}
