package dev.sluice.gateway.console;

import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatchers;

/**
 * The pages anyone may load, each under a Content-Security-Policy, ahead of the API's chains (which never see these
 * paths), for every method so that HEAD gets the policy too. No session, no login form, no credential read: the
 * console asks for a login itself, and every API call it makes carries the user's token.
 */
@Configuration(proxyBeanMethods = false)
class PublicPageSecurity {

    /**
     * The console: only Sluice's own scripts, styles and API, no inline code, no other origin, never inside a frame.
     * Model output the page shows cannot run as script even if rendering failed.
     */
    static final String CONSOLE_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self';"
            + " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    /**
     * The API description and Swagger UI: as strict for scripts (only Swagger UI's own files run, and a document it
     * shows cannot bring script, frames or another origin in), looser for what Swagger UI needs: inline styles, and
     * icons drawn as {@code data:} images.
     */
    static final String API_DOCS_POLICY = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
            + " img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"
            + " frame-ancestors 'none'";

    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE + 1)
    @ConditionalOnBooleanProperty(name = "sluice.web.console.enabled", matchIfMissing = true)
    SecurityWebFilterChain consoleFilterChain(ServerHttpSecurity http) {
        return publicPages(http, CONSOLE_POLICY, "/", ConsoleEndpoint.ASSETS);
    }

    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE + 2)
    SecurityWebFilterChain apiDocsFilterChain(ServerHttpSecurity http) {
        return publicPages(http, API_DOCS_POLICY, "/docs", "/swagger-ui/**", "/v3/api-docs", "/v3/api-docs/**");
    }

    private static SecurityWebFilterChain publicPages(ServerHttpSecurity http, String policy, String... paths) {
        return http.securityMatcher(ServerWebExchangeMatchers.pathMatchers(paths))
                .csrf(ServerHttpSecurity.CsrfSpec::disable)
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .requestCache(ServerHttpSecurity.RequestCacheSpec::disable)
                .securityContextRepository(NoOpServerSecurityContextRepository.getInstance())
                .headers(headers -> headers.contentSecurityPolicy(csp -> csp.policyDirectives(policy)))
                .authorizeExchange(exchanges -> exchanges.anyExchange().permitAll())
                .build();
    }
}
