package dev.sluice.gateway.console;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.web.server.SecurityWebFilterChain;

/**
 * The API description and its Swagger UI are public, and served under a Content-Security-Policy as strict as the
 * console's for scripts: only Swagger UI's own files run, and a document it shows cannot bring script, frames or
 * another origin into the page. Styles and images are looser, as Swagger UI needs: it sets inline styles and draws its
 * icons as {@code data:} images.
 */
@Configuration(proxyBeanMethods = false)
class ApiDocsSecurity {

    static final String POLICY = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
            + " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /** Ahead of the API's chains, beside the console's; every method, so that HEAD gets the policy too. */
    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE + 2)
    SecurityWebFilterChain apiDocsFilterChain(ServerHttpSecurity http) {
        return PublicPages.chain(http, POLICY, "/docs", "/swagger-ui/**", "/v3/api-docs", "/v3/api-docs/**");
    }
}
