package dev.sluice.gateway.console;

import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.web.server.SecurityWebFilterChain;

/**
 * The console's files are public (the page asks for a login itself, and every API call carries the user's token),
 * and are served under a strict Content-Security-Policy: only Sluice's own scripts, styles and API, no inline code, no
 * other origin, never inside a frame. Model output the page shows cannot run as script even if rendering failed.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty(name = "sluice.web.console.enabled", matchIfMissing = true)
class ConsoleSecurity {

    static final String POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self';"
            + " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /** Ahead of the API's chains, which never see these paths; every method, so that HEAD gets the policy too. */
    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE + 1)
    SecurityWebFilterChain consoleFilterChain(ServerHttpSecurity http) {
        return PublicPages.chain(http, POLICY, "/", ConsoleEndpoint.ASSETS);
    }
}
