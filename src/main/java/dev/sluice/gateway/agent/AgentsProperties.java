package dev.sluice.gateway.agent;

import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * Named agents ({@code sluice.agents.<name>.*}): a system prompt bound to an alias, chosen with
 * {@code agent} in a native chat request.
 *
 * @param agents each agent, keyed by the name callers use
 */
@Validated
@ConfigurationProperties("sluice")
public record AgentsProperties(Map<String, @Valid AgentProperties> agents) {

    public AgentsProperties {
        agents = agents == null ? Map.of() : Map.copyOf(agents);
    }

    /**
     * @param alias the alias the agent's requests go to
     * @param systemPrompt put before the conversation
     * @param description one line for agent pickers in frontends
     */
    public record AgentProperties(@NotBlank String alias, @NotBlank String systemPrompt, String description) {
    }
}
