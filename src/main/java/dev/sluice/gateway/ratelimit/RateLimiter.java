package dev.sluice.gateway.ratelimit;

import reactor.core.publisher.Mono;

/**
 * Spends one request from the client address's budget before authentication, so that failures count too (a host
 * guessing passwords or keys is stopped there, before its guesses reach the database), and then, once the caller
 * is known to have an account, from its API key's budget if the key has one, then from the account's; the decision
 * that binds is the answer. A request refused
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
     * @param sofar the decision that let the request through its address's budget (and its key's)
     * @param account the per-user key
     */
    Mono<RateLimitDecision> checkUser(RateLimitDecision sofar, String account) {
        return check(sofar, LimitScope.PER_USER, account);
    }

    /**
     * An API key's own budget, spent before its account's, so that a key over its limit leaves the account's budget
     * to its other keys.
     *
     * @param perIp the decision that let the request through its address's budget
     * @param apiKey the per-key key, {@link Buckets#sized} with the key's limit
     */
    Mono<RateLimitDecision> checkKey(RateLimitDecision perIp, String apiKey) {
        return check(perIp, LimitScope.PER_KEY, apiKey);
    }

    private Mono<RateLimitDecision> check(RateLimitDecision sofar, LimitScope scope, String key) {
        RateLimitDecision now = buckets.tryConsumeNow(scope, key);
        if (now != null) {
            return Mono.just(RateLimitDecision.binding(sofar, now)); // a value, so the filter needs no hop back to its loop
        }
        return buckets.tryConsume(scope, key).map(decision -> RateLimitDecision.binding(sofar, decision));
    }
}
