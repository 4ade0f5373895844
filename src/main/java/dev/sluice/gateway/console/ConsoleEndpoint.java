package dev.sluice.gateway.console;

import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.Resource;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * The browser console: {@code /} is its page and {@code /console/**} its stylesheet and ES modules, plain files from
 * {@code classpath:console/} with no build step. Everything it shows comes from the public APIs, called with the
 * user's own token. Off with {@code sluice.web.console.enabled=false}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty(name = "sluice.web.console.enabled", matchIfMissing = true)
class ConsoleEndpoint {

    static final String ASSETS = "/console/**";
    private static final Resource PAGE = new ClassPathResource("console/index.html");

    @Bean
    RouterFunction<ServerResponse> consoleRoutes() {
        // Revalidated on each load: the files have no version in their names, so a cached copy could outlive an upgrade.
        CacheControl revalidate = CacheControl.noCache();
        return RouterFunctions.route()
                .GET("/", request -> ServerResponse.ok().contentType(MediaType.TEXT_HTML).cacheControl(revalidate)
                        .bodyValue(PAGE))
                .add(RouterFunctions.resources(ASSETS, new ClassPathResource("console/")))
                .build();
    }
}
