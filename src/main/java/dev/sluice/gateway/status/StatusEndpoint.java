package dev.sluice.gateway.status;

import dev.sluice.gateway.web.MethodNotAllowed;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/** {@code GET /api/v1/status}: each provider's availability, circuit, uptime and latency, for dashboards and frontends. */
@Configuration(proxyBeanMethods = false)
class StatusEndpoint {

    private static final String PATH = "/api/v1/status";

    @Bean
    RouterFunction<ServerResponse> statusRoutes(ProviderStatusMonitor monitor) {
        return RouterFunctions.route()
                .GET(PATH, request -> ServerResponse.ok().bodyValue(new StatusReport(monitor.statuses())))
                .add(MethodNotAllowed.otherThan(HttpMethod.GET, PATH))
                .build();
    }
}
