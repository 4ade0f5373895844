package dev.sluice.gateway.ratelimit;

import java.time.Duration;

import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.Fuseable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The per-IP limit on {@code /v1/**} and {@code /api/v1/**}, register and login included; health and metrics are
 * never limited. Runs before Spring Security's chain, so that a request with a bad credential spends its address's
 * budget like any other and, once that is spent, is refused before its credential is looked up. The per-user limit
 * follows after authentication ({@link UserLimitFilter}). Every limited response carries {@code X-RateLimit-*}; a
 * refusal becomes a 429 through the error handler, in the shape of its API, naming the limit that was hit, with
 * {@code Retry-After}.
 */
public final class RateLimitFilter implements WebFilter, Ordered {

    /** Before Spring Security's {@code WebFilterChainProxy} (-100), which authenticates. */
    public static final int ORDER = -200;
    /** The exchange attribute holding the per-IP decision, for {@link UserLimitFilter} to combine with the account's. */
    static final String ADDRESS_DECISION = RateLimitFilter.class.getName() + ".address";

    private final ClientIpResolver clientIps;
    private final RateLimiter limiter;
    private final Counter rejected;
    private final EventLoops eventLoops;

    RateLimitFilter(RateLimitProperties properties, Buckets buckets, MeterRegistry registry) {
        this.clientIps = new ClientIpResolver(properties.trustedProxyNetworks());
        this.limiter = new RateLimiter(buckets);
        this.eventLoops = EventLoops.forDecisionsOf(buckets);
        this.rejected = rejectedCounter(registry, LimitScope.PER_IP.tag());
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (!isLimited(exchange.getRequest().getPath().value())) {
            return chain.filter(exchange);
        }
        Mono<RateLimitDecision> decision = backOnLoop(limiter.checkAddress(clientIps.resolve(exchange.getRequest())),
                eventLoops, exchange);
        return decision.flatMap(verdict -> {
            RateLimitHeaders.write(verdict, exchange.getResponse().getHeaders());
            if (!verdict.allowed()) {
                rejected.increment();
                return Mono.error(refusal(verdict));
            }
            exchange.getAttributes().put(ADDRESS_DECISION, verdict);
            return chain.filter(exchange);
        });
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    static boolean isLimited(String path) {
        return path.startsWith("/v1/") || path.startsWith("/api/v1/");
    }

    static Counter rejectedCounter(MeterRegistry registry, String limit) {
        return Counter.builder("sluice.ratelimit.rejected").description("Requests refused with 429 by a rate limit")
                .tag("limit", limit).register(registry);
    }

    static GatewayException refusal(RateLimitDecision verdict) {
        return new GatewayException(ErrorCode.RATE_LIMITED, verdict.refusal(), null,
                Duration.ofSeconds(verdict.retryAfterSeconds()));
    }

    /**
     * A decision made on Redis's thread goes on on the request's own event loop (see {@link EventLoops}); one made
     * at once, a {@link Mono#just} (a local bucket, a held token), is already there.
     */
    static Mono<RateLimitDecision> backOnLoop(Mono<RateLimitDecision> decision, EventLoops eventLoops,
            ServerWebExchange exchange) {
        if (eventLoops == null || decision instanceof Fuseable.ScalarCallable) {
            return decision;
        }
        Scheduler loop = eventLoops.of(exchange.getRequest());
        return loop == null ? decision : decision.publishOn(loop);
    }
}
