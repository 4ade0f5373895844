package dev.sluice.gateway.ratelimit;

/** Redis cannot take rate-limit commands right now; expected while it is down, so no stack trace. */
final class RedisUnavailableException extends RuntimeException {

    static final RedisUnavailableException NOT_CONNECTED = new RedisUnavailableException("not connected to Redis");

    private RedisUnavailableException(String message) {
        super(message, null, false, false);
    }
}
