package dev.sluice.gateway.ratelimit;

import java.security.Principal;
import java.time.Duration;
import java.util.function.Function;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.core.Ordered;
import org.springframework.security.core.Authentication;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Rate limits on {@code /v1/**} and {@code /api/v1/**}, register and login included; health and metrics are
 * never limited. Runs after Spring Security's chain (order -100), which has named the caller by then.
 * Every limited response carries {@code X-RateLimit-*}; a refusal becomes a 429 through the error handler,
 * in the shape of its API, naming the limit that was hit, with {@code Retry-After}.
 */
public final class RateLimitFilter implements WebFilter, Ordered {

    /** After Spring Security's {@code WebFilterChainProxy} (-100), so that the caller is known. */
    public static final int ORDER = 0;

    private final ClientIpResolver clientIps;
    private final RateLimiter limiter;
    private final Counter[] rejected;
    private final Function<Principal, String> userKey = RateLimitFilter::userKey;
    /** Set when decisions may arrive on another thread (Redis); local decisions arrive on the caller's. */
    private final EventLoops eventLoops;

    RateLimitFilter(RateLimitProperties properties, Buckets buckets, MeterRegistry registry) {
        this.clientIps = new ClientIpResolver(properties.trustedProxyNetworks());
        this.limiter = new RateLimiter(buckets);
        this.eventLoops = buckets instanceof LocalBuckets ? null : new EventLoops();
        LimitScope[] scopes = LimitScope.values();
        this.rejected = new Counter[scopes.length];
        for (LimitScope scope : scopes) {
            rejected[scope.ordinal()] = Counter.builder("sluice.ratelimit.rejected")
                    .description("Requests refused with 429 by a rate limit").tag("limit", scope.tag()).register(registry);
        }
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (!isLimited(exchange.getRequest().getPath().value())) {
            return chain.filter(exchange);
        }
        String clientIp = clientIps.resolve(exchange.getRequest());
        Mono<RateLimitDecision> decision = limiter.check(clientIp, exchange.getPrincipal().mapNotNull(userKey));
        Scheduler loop = eventLoops == null ? null : eventLoops.of(exchange.getRequest());
        if (loop != null) {
            decision = decision.publishOn(loop);
        }
        return decision.flatMap(verdict -> {
            RateLimitHeaders.write(verdict, exchange.getResponse().getHeaders());
            if (verdict.allowed()) {
                return chain.filter(exchange);
            }
            rejected[verdict.scope().ordinal()].increment();
            return Mono.error(new GatewayException(ErrorCode.RATE_LIMITED, verdict.refusal(), null,
                    Duration.ofSeconds(verdict.retryAfterSeconds())));
        });
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    static boolean isLimited(String path) {
        return path.startsWith("/v1/") || path.startsWith("/api/v1/");
    }

    /** The account behind the request, or {@code null} for the anonymous user and unauthenticated requests. */
    private static String userKey(Principal principal) {
        if (principal instanceof Authentication authentication && authentication.getPrincipal() instanceof Caller caller
                && !caller.isAnonymous()) {
            return caller.id().toString();
        }
        return null;
    }
}
