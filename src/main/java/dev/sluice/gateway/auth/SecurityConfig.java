package dev.sluice.gateway.auth;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import dev.sluice.gateway.auth.apikey.ApiKeys;
import dev.sluice.gateway.config.InvalidConfigurationException;
import dev.sluice.gateway.web.ApiErrorHandler;
import dev.sluice.gateway.web.CorsPolicy;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import dev.sluice.gateway.web.WebProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.dao.DataAccessException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.config.annotation.web.reactive.EnableWebFluxSecurity;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.config.web.server.SecurityWebFiltersOrder;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.web.server.MatcherSecurityWebFilterChain;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.authentication.AuthenticationWebFilter;
import org.springframework.security.web.server.authentication.ServerAuthenticationConverter;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.firewall.ServerWebExchangeFirewall;
import org.springframework.security.web.server.firewall.StrictServerWebExchangeFirewall;
import org.springframework.security.web.server.header.HttpHeaderWriterWebFilter;
import org.springframework.security.web.server.util.matcher.AndServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.NegatedServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatchers;
import org.springframework.web.cors.reactive.CorsWebFilter;
import org.springframework.web.server.WebFilter;
import reactor.core.publisher.Mono;

/**
 * The filter chain: a Bearer access token (JWT) or personal API key on {@code /v1/**} and {@code /api/v1/**}
 * (or the same in {@code x-api-key}, as Anthropic's clients send it), except registering and logging in. With
 * {@code sluice.auth.anonymous} on (the embedded default only), a request without a valid credential runs as the
 * anonymous user, since OpenAI SDKs always send some key; with it off, it gets 401. Admin endpoints need the ADMIN role; personal resources need an account.
 * Stateless: no session, no CSRF token, no login page. Two chains: the chat calls, which pay only for the filters
 * they need, and the rest of the API.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebFluxSecurity
class SecurityConfig {

    static final String ROLE_ANONYMOUS_CALLER = "ROLE_ANONYMOUS_CALLER";
    private static final Duration STORE_RETRY_AFTER = Duration.ofSeconds(5);
    private static final String[] OPEN = {"/api/v1/auth/register", "/api/v1/auth/login"};
    /** The chat calls of the three APIs. */
    private static final String[] CHATS = {"/v1/chat/completions", "/v1/messages", "/api/v1/chat"};
    private static final Set<String> CHAT_PATHS = Set.of(CHATS);
    /** The header Anthropic's SDKs send their key in. */
    private static final String API_KEY_HEADER = "x-api-key";
    private static final String CREDENTIALS_REQUIRED =
            "Credentials are required: send Authorization: Bearer <access token or API key>, or x-api-key: <API key>";

    /**
     * The chat calls, which carry nearly all the traffic: authenticated by the same filter as the rest of the API,
     * with nothing else of the API chain's but CORS and the security headers. The authentication filter names a caller
     * or refuses the request (401, or 503 when the key store cannot answer) whatever it carries, so the chain needs
     * no authorization filter, no exception translation, and none of the filters that load a security context from a
     * session or keep requests for after a login: each of those is a few operators on every chat.
     */
    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE)
    SecurityWebFilterChain chatFilterChain(ServerHttpSecurity http, AccessTokens tokens, ApiKeys apiKeys,
            Roles roles, AuthProperties properties, WebProperties web, Environment environment, ApiErrorHandler errors) {
        checkAnonymousAllowed(properties, environment);
        ServerWebExchangeMatcher chats = ServerWebExchangeMatchers.pathMatchers(HttpMethod.POST, CHATS);
        SecurityWebFilterChain all = stateless(http.securityMatcher(chats), web, errors)
                .addFilterAt(authentication(ServerWebExchangeMatchers.anyExchange(), tokens, apiKeys, roles, properties, errors),
                        SecurityWebFiltersOrder.AUTHENTICATION)
                .build();
        // At startup, on the main thread: the built chain's filters are an in-memory list, so this waits for nothing.
        List<WebFilter> needed = all.getWebFilters()
                .filter(filter -> filter instanceof CorsWebFilter || filter instanceof HttpHeaderWriterWebFilter
                        || filter instanceof AuthenticationWebFilter)
                .collectList()
                .block();
        return new MatcherSecurityWebFilterChain(chats, needed);
    }

    /**
     * Spring Security's strict firewall, but for the chat calls named exactly (method and raw path, so that any
     * encoding in the path still meets it): it wraps every request and response to check the URL, the host and each
     * header as it is read and written, a cost on every chat for a path that can only be what it says. A chat's
     * headers are read by name and its response headers are the gateway's own.
     */
    @Bean
    static ServerWebExchangeFirewall firewall() {
        StrictServerWebExchangeFirewall strict = new StrictServerWebExchangeFirewall();
        return exchange -> exchange.getRequest().getMethod() == HttpMethod.POST
                && CHAT_PATHS.contains(exchange.getRequest().getPath().value())
                ? Mono.just(exchange) : strict.getFirewalledExchange(exchange);
    }

    @Bean
    @Order(Ordered.LOWEST_PRECEDENCE)
    SecurityWebFilterChain securityFilterChain(ServerHttpSecurity http, AccessTokens tokens, ApiKeys apiKeys,
            Roles roles, AuthProperties properties, WebProperties web, Environment environment, ApiErrorHandler errors) {
        checkAnonymousAllowed(properties, environment);
        ServerWebExchangeMatcher api = ServerWebExchangeMatchers.pathMatchers("/v1/**", "/api/v1/**");
        ServerWebExchangeMatcher open = ServerWebExchangeMatchers.pathMatchers(OPEN);
        return stateless(http, web, errors)
                .addFilterAt(authentication(new AndServerWebExchangeMatcher(api, new NegatedServerWebExchangeMatcher(open)),
                        tokens, apiKeys, roles, properties, errors), SecurityWebFiltersOrder.AUTHENTICATION)
                .authorizeExchange(exchanges -> exchanges
                        .pathMatchers(OPEN).permitAll()
                        .pathMatchers("/api/v1/admin/**").hasRole("ADMIN")
                        .pathMatchers("/api/v1/keys", "/api/v1/keys/**").hasRole("USER")
                        .pathMatchers("/v1/**", "/api/v1/**").authenticated()
                        .anyExchange().permitAll())
                .build();
    }

    /**
     * Spring Security would time each of its filters, authentications and authorizations on every request: a cost on
     * the hot path for metrics nobody reads (requests are measured as a whole). Without this, Boot's
     * {@code management.observations.enable.spring.security=false} still wraps every filter in an observation.
     */
    @Bean
    static SecurityObservationSettings securityObservationSettings() {
        return SecurityObservationSettings.noObservations();
    }

    private static void checkAnonymousAllowed(AuthProperties properties, Environment environment) {
        if (properties.anonymous() && environment.matchesProfiles("prod")) {
            throw new InvalidConfigurationException("sluice.auth.anonymous", "must be false in prod: anonymous access"
                    + " lets anyone call the gateway without an account (unset SLUICE_AUTH_ANONYMOUS)");
        }
    }

    /**
     * No session, no CSRF token, no login page or form, no saved request: each request carries its credential. CORS
     * only for the configured origins; a preflight is answered ahead of authentication, as browsers send it without
     * credentials.
     */
    private static ServerHttpSecurity stateless(ServerHttpSecurity http, WebProperties web, ApiErrorHandler errors) {
        return http
                .cors(cors -> {
                    if (web.cors().enabled()) {
                        cors.configurationSource(CorsPolicy.of(web.cors()));
                    }
                    else {
                        cors.disable();
                    }
                })
                .csrf(ServerHttpSecurity.CsrfSpec::disable)
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .anonymous(ServerHttpSecurity.AnonymousSpec::disable)
                .requestCache(ServerHttpSecurity.RequestCacheSpec::disable)
                .securityContextRepository(NoOpServerSecurityContextRepository.getInstance())
                .exceptionHandling(handling -> handling
                        .authenticationEntryPoint((exchange, failure) -> errors.handle(exchange,
                                unauthorized(CREDENTIALS_REQUIRED)))
                        .accessDeniedHandler((exchange, denied) -> errors.handle(exchange, new GatewayException(
                                ErrorCode.FORBIDDEN, "This needs an account with more rights than yours"))));
    }

    /** Reads the credential of the requests {@code protectedPaths} names, and names their caller or refuses. */
    private static AuthenticationWebFilter authentication(ServerWebExchangeMatcher protectedPaths, AccessTokens tokens,
            ApiKeys apiKeys, Roles roles, AuthProperties properties, ApiErrorHandler errors) {
        AuthenticationWebFilter authentication = new AuthenticationWebFilter(
                manager(tokens, apiKeys, roles, properties.anonymous()));
        authentication.setServerAuthenticationConverter(credentials());
        authentication.setRequiresAuthenticationMatcher(protectedPaths);
        authentication.setSecurityContextRepository(NoOpServerSecurityContextRepository.getInstance());
        authentication.setAuthenticationFailureHandler((exchange, failure) ->
                errors.handle(exchange.getExchange(), unauthorized(failure.getMessage())));
        return authentication;
    }

    /**
     * {@code Authorization: Bearer <credential>}, else {@code x-api-key: <credential>}; a request with neither is
     * authenticated as "no credential". The second is where Anthropic's SDKs and Claude Code put a key, read on every
     * path rather than on {@code /v1/messages} only: one rule for every API, and a client that sends it means it.
     */
    private static ServerAuthenticationConverter credentials() {
        return exchange -> {
            HttpHeaders headers = exchange.getRequest().getHeaders();
            String header = headers.getFirst(HttpHeaders.AUTHORIZATION);
            String credential;
            if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
                credential = header.substring(7).trim();
            }
            else {
                String apiKey = headers.getFirst(API_KEY_HEADER);
                credential = apiKey == null ? "" : apiKey.trim();
            }
            return Mono.just(new UsernamePasswordAuthenticationToken(null, credential));
        };
    }

    /**
     * Checks the credential and confirms an admin's role ({@link Roles}); when the credential is missing or invalid,
     * anonymous mode decides between the anonymous user and 401. A key the database cannot look up is a 503.
     */
    private static ReactiveAuthenticationManager manager(AccessTokens tokens, ApiKeys apiKeys, Roles roles, boolean anonymous) {
        return authentication -> {
            String credential = (String) authentication.getCredentials();
            Mono<Caller> caller;
            if (credential.isEmpty()) {
                caller = Mono.empty();
            }
            else if (credential.startsWith(ApiKeys.PREFIX)) {
                caller = apiKeys.authenticate(credential).onErrorMap(DataAccessException.class, failure -> storeUnavailable());
            }
            else if (AccessTokens.looksLikeJwt(credential)) {
                caller = Mono.justOrEmpty(tokens.verify(credential));
            }
            else {
                caller = Mono.empty();
            }
            Mono<Caller> orAnonymous = anonymous ? caller.defaultIfEmpty(Caller.ANONYMOUS)
                    : caller.switchIfEmpty(Mono.error(() -> new BadCredentialsException(credential.isEmpty()
                            ? CREDENTIALS_REQUIRED
                            : "The access token or API key is invalid, expired or revoked")));
            return orAnonymous.flatMap(roles::confirm).map(SecurityConfig::authenticated);
        };
    }

    private static Authentication authenticated(Caller caller) {
        List<SimpleGrantedAuthority> authorities = caller.isAnonymous()
                ? List.of(new SimpleGrantedAuthority(ROLE_ANONYMOUS_CALLER))
                : caller.isAdmin()
                        ? List.of(new SimpleGrantedAuthority("ROLE_USER"), new SimpleGrantedAuthority("ROLE_ADMIN"))
                        : List.of(new SimpleGrantedAuthority("ROLE_USER"));
        return UsernamePasswordAuthenticationToken.authenticated(caller, null, authorities);
    }

    /** Not the caller's fault and not a 401: the client should retry, not drop its credential. */
    private static GatewayException storeUnavailable() {
        return new GatewayException(ErrorCode.STORE_UNAVAILABLE, "The account store is unavailable; try again shortly",
                null, STORE_RETRY_AFTER);
    }

    private static GatewayException unauthorized(String message) {
        return new GatewayException(ErrorCode.UNAUTHORIZED, message);
    }
}
