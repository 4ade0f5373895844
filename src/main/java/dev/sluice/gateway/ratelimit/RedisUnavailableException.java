package dev.sluice.gateway.ratelimit;

/** Redis cannot take rate-limit commands right now; expected while it is down or busy, so no stack trace. */
final class RedisUnavailableException extends RuntimeException {

    static final RedisUnavailableException NOT_CONNECTED = new RedisUnavailableException("not connected to Redis");
    /** Too many requests of one key wait for Redis on this replica ({@link Lease#MAX_WAITING}): busy, not gone. */
    static final RedisUnavailableException TOO_MANY_WAITING = new RedisUnavailableException(
            "too many requests waiting for Redis");

    private RedisUnavailableException(String message) {
        super(message, null, false, false);
    }
}
