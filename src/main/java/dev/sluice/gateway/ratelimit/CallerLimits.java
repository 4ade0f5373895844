package dev.sluice.gateway.ratelimit;

import java.util.function.Supplier;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.TokenEstimate;
import dev.sluice.gateway.spend.CallCost;
import dev.sluice.gateway.spend.CallCosts;
import dev.sluice.gateway.spend.MeteredCall;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import reactor.core.Fuseable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The limits that need the request's body, checked once an API edge has read it and before anything goes upstream:
 * the per-end-user budget ({@code sluice.limits.per-end-user}), one per end user of each key (or account without a
 * key), inside the key's and account's own budgets that {@link UserLimitFilter} spent; then the key's
 * {@code tokens_per_minute}, charged with the call's estimate (its input and the reply cap it asks for). When the call
 * ends, that charge is settled to the tokens the call really used, as its cost counts them ({@link CallCosts}): what
 * the estimate took beyond them goes back, what they took beyond the estimate is taken, off the request path
 * ({@link Buckets#settle}). A request that concerns neither limit costs nothing here. The tokens cost a Redis round
 * trip each way (no tokens are held ahead for amounts), which only keys with {@code tokens_per_minute} pay. A refusal
 * is a 429 naming the limit, with {@code Retry-After}.
 */
@Component
public class CallerLimits {

    private static final Mono<Void> NONE = Mono.empty();

    /** {@code null} with {@code sluice.limits.enabled=false}. */
    private final Buckets buckets;
    private final EventLoops eventLoops;
    private final CallCosts costs;
    private final Counter rejectedEndUsers;
    private final Counter rejectedTokens;

    CallerLimits(ObjectProvider<Buckets> buckets, CallCosts costs, MeterRegistry registry) {
        this.buckets = buckets.getIfAvailable();
        this.eventLoops = this.buckets == null ? null : EventLoops.forDecisionsOf(this.buckets);
        this.costs = costs;
        this.rejectedEndUsers = RateLimitFilter.rejectedCounter(registry, LimitScope.PER_END_USER.tag());
        this.rejectedTokens = RateLimitFilter.rejectedCounter(registry, LimitScope.PER_KEY_TOKENS.tag());
    }

    /** For a chat: the estimate is computed only for a key with {@code tokens_per_minute}. */
    public <T> Flux<T> meter(MeteredCall call, ChatRequest request, Supplier<Flux<T>> reply) {
        if (concernsNeither(call)) {
            return Flux.defer(reply);
        }
        Integer cap = request.reply().maxTokens();
        return meter(call, call.caller().scope().tokensPerMinute() == null ? 0
                : TokenEstimate.input(request) + (cap == null ? 0 : cap), reply);
    }

    /**
     * The {@code reply}, once the call is within its limits.
     *
     * @param tokens the call's estimate, charged to the key's {@code tokens_per_minute} if it has one
     */
    public <T> Flux<T> meter(MeteredCall call, long tokens, Supplier<Flux<T>> reply) {
        if (concernsNeither(call)) {
            return Flux.defer(reply);
        }
        Caller caller = call.caller();
        String endUser = call.endUser();
        Integer perMinute = caller.scope().tokensPerMinute();
        return Flux.defer(() -> {
            Scheduler loop = eventLoops == null ? null : eventLoops.current();
            Mono<Void> endUserChecked = endUser == null ? NONE
                    : refuseIfSpent(buckets.decide(LimitScope.PER_END_USER, caller.endUsersOwner() + ":" + endUser), rejectedEndUsers, loop);
            if (perMinute == null) {
                return endUserChecked.thenMany(Flux.defer(reply));
            }
            String key = Buckets.sized(perMinute, caller.apiKeyId().toString());
            long charged = Math.max(1, tokens);
            return endUserChecked
                    .then(Mono.defer(() -> refuseIfSpent(buckets.tryConsume(LimitScope.PER_KEY_TOKENS, key, charged),
                            rejectedTokens, loop)))
                    .thenMany(Flux.defer(reply).doFinally(signal -> settle(key, charged, call)));
        });
    }

    private boolean concernsNeither(MeteredCall call) {
        return buckets == null || (call.endUser() == null && call.caller().scope().tokensPerMinute() == null);
    }

    /** The tokens the call used: reported, else estimated; none when it was not a call (refused after this). */
    private void settle(String key, long charged, MeteredCall call) {
        CallCost cost = costs.of(call);
        long used = cost == null ? 0 : cost.inputTokens() + cost.outputTokens();
        buckets.settle(LimitScope.PER_KEY_TOKENS, key, charged, used).subscribe();
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
