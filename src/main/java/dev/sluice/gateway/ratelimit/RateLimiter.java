package dev.sluice.gateway.ratelimit;

import reactor.core.publisher.Mono;

/**
 * Spends one request from the client address's budget before authentication, so that failures count too (a host
 * guessing passwords or keys is stopped there, before its guesses reach the database), and then, once the caller
 * is known to have an account, from the account's budget; the decision that binds is the answer. A request refused
 * per IP never reaches the account's budget, so a flood from one address cannot drain its victims'.
 */
final class RateLimiter {

    private final Buckets buckets;

    RateLimiter(Buckets buckets) {
        this.buckets = buckets;
    }

    /** @param clientIp the per-IP key, from {@link ClientIpResolver} */
    Mono<RateLimitDecision> checkAddress(String clientIp) {
        return buckets.decide(LimitScope.PER_IP, clientIp);
    }

    /**
     * @param perIp the decision that let the request through its address's budget
     * @param account the per-user key
     */
    Mono<RateLimitDecision> checkUser(RateLimitDecision perIp, String account) {
        RateLimitDecision now = buckets.tryConsumeNow(LimitScope.PER_USER, account);
        if (now != null) {
            return Mono.just(RateLimitDecision.binding(perIp, now)); // a value, so the filter needs no hop back to its loop
        }
        return buckets.tryConsume(LimitScope.PER_USER, account).map(perUser -> RateLimitDecision.binding(perIp, perUser));
    }
}
