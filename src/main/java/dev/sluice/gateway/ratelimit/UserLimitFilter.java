package dev.sluice.gateway.ratelimit;

import java.time.Duration;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * The account's limits, after Spring Security has named the caller: its API key's own budget, if the key has one
 * ({@code requests_per_minute}), and its per-user budget (the response then carries the headers of whichever budget
 * binds, these or the address's), and for chats, a cap on how many it has in flight
 * on this replica ({@link StreamSlots}). A chat's slot comes back when its response ends, however it ends: completed,
 * failed, or cancelled by the client. The anonymous user has only the per-IP budget.
 */
final class UserLimitFilter implements WebFilter, Ordered {

    /** After Spring Security's {@code WebFilterChainProxy} (-100), so that the caller is known. */
    static final int ORDER = 0;
    private static final long STREAMS_RETRY_AFTER_SECONDS = 1;

    private final RateLimiter limiter;
    private final StreamSlots streams;
    private final EventLoops eventLoops;
    private final Counter rejected;
    private final Counter rejectedPerKey;
    private final Counter rejectedStreams;

    UserLimitFilter(RateLimitProperties properties, Buckets buckets, MeterRegistry registry) {
        this.limiter = new RateLimiter(buckets);
        this.streams = new StreamSlots(properties.perUser().maxConcurrentStreams());
        this.eventLoops = EventLoops.forDecisionsOf(buckets);
        this.rejected = RateLimitFilter.rejectedCounter(registry, LimitScope.PER_USER.tag());
        this.rejectedPerKey = RateLimitFilter.rejectedCounter(registry, LimitScope.PER_KEY.tag());
        this.rejectedStreams = RateLimitFilter.rejectedCounter(registry, "concurrent-streams");
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        RateLimitDecision perIp = exchange.getAttribute(RateLimitFilter.ADDRESS_DECISION);
        if (perIp == null) {
            return chain.filter(exchange); // not a limited path
        }
        return Caller.current().defaultIfEmpty(Caller.ANONYMOUS).flatMap(caller -> {
            if (caller.isAnonymous()) {
                return chain.filter(exchange);
            }
            String account = caller.id().toString();
            return RateLimitFilter.backOnLoop(decide(perIp, caller, account), eventLoops, exchange).flatMap(verdict -> {
                RateLimitHeaders.write(verdict, exchange.getResponse().getHeaders());
                if (!verdict.allowed()) {
                    (verdict.scope() == LimitScope.PER_KEY ? rejectedPerKey : rejected).increment();
                    return Mono.error(RateLimitFilter.refusal(verdict));
                }
                return isChat(exchange.getRequest().getPath().value()) ? chat(account, exchange, chain) : chain.filter(exchange);
            });
        });
    }

    /** The key's own budget first, if it has one (a refusal there spends nothing of the account's), then the account's. */
    private Mono<RateLimitDecision> decide(RateLimitDecision perIp, Caller caller, String account) {
        Integer perKey = caller.scope().requestsPerMinute();
        if (perKey == null) {
            return limiter.checkUser(perIp, account);
        }
        return limiter.checkKey(perIp, Buckets.sized(perKey, caller.apiKeyId().toString()))
                .flatMap(key -> key.allowed() ? limiter.checkUser(key, account) : Mono.just(key));
    }

    private Mono<Void> chat(String account, ServerWebExchange exchange, WebFilterChain chain) {
        if (!streams.tryAcquire(account)) {
            rejectedStreams.increment();
            HttpHeaders headers = exchange.getResponse().getHeaders();
            headers.set(RateLimitHeaders.LIMIT, Integer.toString(streams.max()));
            headers.set(RateLimitHeaders.REMAINING, "0");
            headers.set(RateLimitHeaders.RESET, Long.toString(STREAMS_RETRY_AFTER_SECONDS));
            return Mono.error(new GatewayException(ErrorCode.RATE_LIMITED, "Too many chats at once: the per-user limit of "
                    + streams.max() + " concurrent streams (max-concurrent-streams) is reached; retry when one ends",
                    null, Duration.ofSeconds(STREAMS_RETRY_AFTER_SECONDS)));
        }
        return chain.filter(exchange).doFinally(signal -> streams.release(account));
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    /** The calls that hold an upstream call for as long as the reply lasts, streamed or not. */
    static boolean isChat(String path) {
        return path.equals("/v1/chat/completions") || path.equals("/v1/messages") || path.equals("/api/v1/chat");
    }
}
