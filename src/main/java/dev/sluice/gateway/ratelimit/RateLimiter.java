package dev.sluice.gateway.ratelimit;

import java.util.function.Function;

import reactor.core.publisher.Mono;

/**
 * Spends one request from the client address's budget and, when that allows it and the caller has an
 * account, from the account's budget; the decision that binds is the answer. A request refused per IP
 * spends nothing from the account, so a flood from one address cannot drain its victims' budgets.
 */
final class RateLimiter {

    private final Buckets buckets;
    private final Function<String, Mono<RateLimitDecision>> perUser;

    RateLimiter(Buckets buckets) {
        this.buckets = buckets;
        this.perUser = user -> buckets.tryConsume(LimitScope.PER_USER, user);
    }

    /**
     * @param clientIp the per-IP key, from {@link ClientIpResolver}
     * @param user the per-user key, or empty for the anonymous user (who has only the per-IP budget)
     */
    Mono<RateLimitDecision> check(String clientIp, Mono<String> user) {
        return buckets.tryConsume(LimitScope.PER_IP, clientIp)
                .flatMap(perIp -> perIp.allowed()
                        ? user.flatMap(perUser)
                                .map(perUser -> RateLimitDecision.binding(perIp, perUser))
                                .defaultIfEmpty(perIp)
                        : Mono.just(perIp));
    }
}
