package dev.sluice.gateway.ratelimit;

import reactor.core.publisher.Mono;

/**
 * Spends one request from the client address's budget and, when the caller has an account, from the account's
 * budget at the same time (with Redis, two round trips side by side instead of one after the other); the decision
 * that binds is the answer. A request refused per IP gives back what it spent from the account, so that a flood
 * from one address cannot drain its victims' budgets.
 */
final class RateLimiter {

    private final Buckets buckets;

    RateLimiter(Buckets buckets) {
        this.buckets = buckets;
    }

    /**
     * @param clientIp the per-IP key, from {@link ClientIpResolver}
     * @param user the per-user key, or empty for the anonymous user (who has only the per-IP budget)
     */
    Mono<RateLimitDecision> check(String clientIp, Mono<String> user) {
        return user.flatMap(account -> Mono.zip(buckets.tryConsume(LimitScope.PER_IP, clientIp),
                        buckets.tryConsume(LimitScope.PER_USER, account))
                        .flatMap(both -> decide(both.getT1(), both.getT2(), account)))
                .switchIfEmpty(Mono.defer(() -> buckets.tryConsume(LimitScope.PER_IP, clientIp)));
    }

    private Mono<RateLimitDecision> decide(RateLimitDecision perIp, RateLimitDecision perUser, String account) {
        if (!perIp.allowed() && perUser.allowed()) {
            return buckets.refund(LimitScope.PER_USER, account).thenReturn(perIp);
        }
        return Mono.just(RateLimitDecision.binding(perIp, perUser));
    }
}
