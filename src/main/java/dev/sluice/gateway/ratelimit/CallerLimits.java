package dev.sluice.gateway.ratelimit;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.TokenEstimate;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import reactor.core.Fuseable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The limits that need the request's body, checked once an API edge has read it and before anything goes upstream:
 * the per-end-user budget ({@code sluice.limits.per-end-user}), one per end user of each key (or account without a
 * key), inside the key's and account's own budgets that {@link UserLimitFilter} spent; then the key's
 * {@code tokens_per_minute}, charged with the call's estimate (its input and the reply cap it asks for). A request
 * that concerns neither costs nothing here. The tokens are not settled to the real usage afterwards: the estimate is
 * what a minute's budget counts. They cost a Redis round trip each (no tokens are held ahead for amounts), which only
 * keys with {@code tokens_per_minute} pay. A refusal is a 429 naming the limit, with {@code Retry-After}.
 */
@Component
public class CallerLimits {

    private static final Mono<Void> NONE = Mono.empty();

    /** {@code null} with {@code sluice.limits.enabled=false}. */
    private final Buckets buckets;
    private final EventLoops eventLoops;
    private final Counter rejectedEndUsers;
    private final Counter rejectedTokens;

    CallerLimits(ObjectProvider<Buckets> buckets, MeterRegistry registry) {
        this.buckets = buckets.getIfAvailable();
        this.eventLoops = this.buckets == null ? null : EventLoops.forDecisionsOf(this.buckets);
        this.rejectedEndUsers = RateLimitFilter.rejectedCounter(registry, LimitScope.PER_END_USER.tag());
        this.rejectedTokens = RateLimitFilter.rejectedCounter(registry, LimitScope.PER_KEY_TOKENS.tag());
    }

    /** For a chat: the estimate is computed only for a key with {@code tokens_per_minute}. */
    public Mono<Void> admit(Caller caller, String endUser, ChatRequest request) {
        if (buckets == null || (endUser == null && caller.scope().tokensPerMinute() == null)) {
            return NONE;
        }
        Integer cap = request.reply().maxTokens();
        return admit(caller, endUser, caller.scope().tokensPerMinute() == null ? 0
                : TokenEstimate.input(request) + (cap == null ? 0 : cap));
    }

    /** @param tokens the call's estimate, charged to the key's {@code tokens_per_minute} if it has one */
    public Mono<Void> admit(Caller caller, String endUser, long tokens) {
        Integer perMinute = caller.scope().tokensPerMinute();
        if (buckets == null || (endUser == null && perMinute == null)) {
            return NONE;
        }
        return Mono.defer(() -> {
            Scheduler loop = eventLoops == null ? null : eventLoops.current();
            Mono<Void> endUserChecked = endUser == null ? NONE
                    : refuseIfSpent(buckets.decide(LimitScope.PER_END_USER, caller.endUsersOwner() + ":" + endUser), rejectedEndUsers, loop);
            if (perMinute == null) {
                return endUserChecked;
            }
            return endUserChecked.then(Mono.defer(() -> refuseIfSpent(buckets.tryConsume(LimitScope.PER_KEY_TOKENS,
                    Buckets.sized(perMinute, caller.apiKeyId().toString()), Math.max(1, tokens)), rejectedTokens, loop)));
        });
    }

    /** A decision that Redis made goes on on the event loop that asked ({@link EventLoops}). */
    private static Mono<Void> refuseIfSpent(Mono<RateLimitDecision> decision, Counter rejected, Scheduler loop) {
        Mono<RateLimitDecision> onLoop = loop == null || decision instanceof Fuseable.ScalarCallable ? decision
                : decision.publishOn(loop);
        return onLoop.flatMap(verdict -> {
            if (verdict.allowed()) {
                return NONE;
            }
            rejected.increment();
            return Mono.error(RateLimitFilter.refusal(verdict));
        });
    }
}
