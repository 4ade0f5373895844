package dev.sluice.gateway.agent;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.config.InvalidConfigurationException;
import dev.sluice.gateway.routing.ModelCatalog;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import org.springframework.stereotype.Component;

/** The configured agents, checked at startup against the aliases they use. */
@Component
public class AgentCatalog {

    private final Map<String, Agent> agents;

    public AgentCatalog(AgentsProperties properties, ModelCatalog models) {
        Map<String, Agent> byName = new LinkedHashMap<>();
        new TreeMap<>(properties.agents()).forEach((name, agent) -> {
            if (!models.isAlias(agent.alias())) {
                throw new InvalidConfigurationException("sluice.agents." + name + ".alias",
                        "unknown alias '" + agent.alias() + "'; an agent must use one of sluice.aliases");
            }
            byName.put(name, new Agent(name, agent.alias(), agent.systemPrompt(), agent.description()));
        });
        this.agents = Collections.unmodifiableMap(byName);
    }

    public Collection<Agent> all() {
        return agents.values();
    }

    /** The request as the agent sends it: to its alias, with its system prompt first. */
    public ChatRequest apply(String agentName, ChatRequest request) {
        Agent agent = agents.get(agentName);
        if (agent == null) {
            throw new GatewayException(ErrorCode.NOT_FOUND, "agent: no agent named '" + agentName
                    + "'; GET /api/v1/agents lists them", "agent", null);
        }
        List<ChatMessage> messages = new ArrayList<>(request.messages().size() + 1);
        messages.add(ChatMessage.of(Role.SYSTEM, agent.systemPrompt()));
        messages.addAll(request.messages());
        return request.withModel(agent.alias()).withMessages(messages);
    }
}
