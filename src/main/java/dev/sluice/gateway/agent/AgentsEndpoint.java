package dev.sluice.gateway.agent;

import java.util.Map;

import dev.sluice.gateway.web.Page;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/** {@code GET /api/v1/agents}: what frontends show in their agent picker. */
@Configuration(proxyBeanMethods = false)
class AgentsEndpoint {

    @Bean
    RouterFunction<ServerResponse> agentRoutes(AgentCatalog agents) {
        return RouterFunctions.route()
                .GET("/api/v1/agents", request -> ServerResponse.ok().bodyValue(
                        Page.of(agents.all().stream().map(AgentsEndpoint::view).toList())))
                .build();
    }

    private static Map<String, Object> view(Agent agent) {
        return Map.of("name", agent.name(), "alias", agent.alias(), "system_prompt", agent.systemPrompt(),
                "description", agent.description() == null ? "" : agent.description());
    }
}
