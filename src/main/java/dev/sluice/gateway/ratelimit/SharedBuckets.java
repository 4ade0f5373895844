package dev.sluice.gateway.ratelimit;

/** Budgets shared by all replicas, in a store that may be busy or gone ({@link RedisBuckets}). */
interface SharedBuckets extends Buckets {

    /** {@link System#nanoTime()} of the store's last answer to anything: an answer since a request was sent means busy, not gone. */
    long lastAnswerNanos();
}
