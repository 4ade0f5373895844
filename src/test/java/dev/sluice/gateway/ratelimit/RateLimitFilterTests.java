package dev.sluice.gateway.ratelimit;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.ReactiveSecurityContextHolder;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The filters, per IP before Spring Security and per user after it, run one after the other as in the application:
 * which paths they limit, the headers on every limited response, and the refusal they hand the error handler.
 */
class RateLimitFilterTests {

    private final ManualClock clock = new ManualClock();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final LocalBuckets buckets = new LocalBuckets(LocalBucketsTests.limits(2, 5), clock, 1_000, null);
    private final RateLimitFilter filter = new RateLimitFilter(LocalBucketsTests.limits(2, 5), buckets, registry);
    private final UserLimitFilter users = new UserLimitFilter(LocalBucketsTests.limits(2, 5), buckets, registry);
    private final AtomicInteger served = new AtomicInteger();
    private final WebFilterChain chain = exchange -> {
        served.incrementAndGet();
        return Mono.empty();
    };

    @Test
    void aSuccessfulResponseCarriesTheRateLimitHeaders() {
        MockServerWebExchange exchange = exchange("/v1/models", null);

        StepVerifier.create(limited(exchange, chain)).verifyComplete();

        HttpHeaders headers = exchange.getResponse().getHeaders();
        assertThat(served).hasValue(1);
        assertThat(headers.getFirst("X-RateLimit-Limit")).isEqualTo("2");
        assertThat(headers.getFirst("X-RateLimit-Remaining")).isEqualTo("1");
        assertThat(headers.getFirst("X-RateLimit-Reset")).isEqualTo("30");
    }

    @Test
    void overTheLimitTheRequestIsRefusedWithARateLimitedErrorNamingTheLimit() {
        limited(exchange("/api/v1/auth/login", null), chain).block();
        limited(exchange("/api/v1/auth/login", null), chain).block();
        MockServerWebExchange third = exchange("/api/v1/auth/login", null);

        StepVerifier.create(limited(third, chain))
                .expectErrorSatisfies(failure -> {
                    assertThat(failure).isInstanceOf(GatewayException.class);
                    GatewayException refusal = (GatewayException) failure;
                    assertThat(refusal.code()).isEqualTo(ErrorCode.RATE_LIMITED);
                    assertThat(refusal.getMessage()).contains("per-IP limit of 2 requests per minute");
                    assertThat(refusal.retryAfter()).as("becomes Retry-After").isEqualTo(Duration.ofSeconds(30));
                })
                .verify();
        assertThat(served).as("the handler never ran for the refused request").hasValue(2);
        assertThat(third.getResponse().getHeaders().getFirst("X-RateLimit-Remaining")).isEqualTo("0");
        assertThat(registry.get("sluice.ratelimit.rejected").tag("limit", "per-ip").counter().count()).isEqualTo(1);
    }

    @Test
    void anAccountIsLimitedByItsUserIdWhateverItsAddress() {
        UUID user = UUID.randomUUID();
        for (int i = 0; i < 5; i++) {
            limited(exchange("/v1/models", user, "203.0.113." + i), chain).block();
        }

        StepVerifier.create(limited(exchange("/v1/models", user, "203.0.113.99"), chain))
                .expectErrorSatisfies(failure -> assertThat(failure.getMessage()).contains("per-user limit of 5"))
                .verify();
        assertThat(registry.get("sluice.ratelimit.rejected").tag("limit", "per-user").counter().count()).isEqualTo(1);
    }

    @Test
    void theAnonymousUserIsLimitedPerIpOnly() {
        MockServerWebExchange exchange = MockServerWebExchange.builder(request("/v1/models", "203.0.113.1"))
                .principal(authenticated(Caller.ANONYMOUS)).build();

        limited(exchange, chain).block();

        assertThat(exchange.getResponse().getHeaders().getFirst("X-RateLimit-Limit")).as("the per-IP limit").isEqualTo("2");
    }

    @Test
    void healthMetricsAndTheFrontendAreNotLimited() {
        for (String path : List.of("/actuator/health", "/health", "/ready", "/actuator/prometheus", "/", "/v1", "/api/v10/x")) {
            for (int i = 0; i < 5; i++) {
                MockServerWebExchange exchange = exchange(path, null);
                StepVerifier.create(limited(exchange, chain)).as(path).verifyComplete();
                assertThat(exchange.getResponse().getHeaders().containsHeader("X-RateLimit-Limit")).as(path).isFalse();
            }
        }
    }

    @Test
    void thePerIpLimitRunsBeforeSpringSecurityAndThePerUserLimitAfterIt() {
        assertThat(filter.getOrder()).as("before WebFilterChainProxy (-100), which authenticates").isLessThan(-100);
        assertThat(users.getOrder()).as("after it, when the caller is known").isGreaterThan(-100);
    }

    /**
     * Both filters, as the application's chain runs them: with Spring Security between them, which names the
     * exchange's caller in the Reactor context around the rest of the chain.
     */
    private Mono<Void> limited(MockServerWebExchange exchange, WebFilterChain handler) {
        Mono<Void> limited = filter.filter(exchange, filtered -> users.filter(filtered, handler));
        Authentication caller = (Authentication) exchange.getPrincipal().block();
        return caller == null ? limited : limited.contextWrite(ReactiveSecurityContextHolder.withAuthentication(caller));
    }

    private static MockServerWebExchange exchange(String path, UUID user) {
        return exchange(path, user, "198.51.100.1");
    }

    private static MockServerWebExchange exchange(String path, UUID user, String peer) {
        MockServerWebExchange.Builder builder = MockServerWebExchange.builder(request(path, peer));
        if (user != null) {
            builder.principal(authenticated(new Caller(user, "someone@example.com", Caller.Role.USER, null)));
        }
        return builder.build();
    }

    private static MockServerHttpRequest request(String path, String peer) {
        return MockServerHttpRequest.get(path).remoteAddress(new InetSocketAddress(peer, 40000)).build();
    }

    private static UsernamePasswordAuthenticationToken authenticated(Caller caller) {
        return UsernamePasswordAuthenticationToken.authenticated(caller, null, List.of());
    }
}
