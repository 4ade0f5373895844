package dev.sluice.gateway.chat;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.ReplyOptions;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.llm.Sampling;

import java.util.ArrayList;
import java.util.List;

import dev.sluice.gateway.agent.AgentCatalog;
import dev.sluice.gateway.routing.ModelNames;
import dev.sluice.gateway.web.GatewayException;

/** Checks a native chat request and turns it into the neutral {@link ChatRequest}; each refusal names the field. */
final class NativeChatReader {

    private NativeChatReader() {
    }

    static ChatRequest read(NativeChatRequest wire, AgentCatalog agents) {
        return read(wire, agents, List.of());
    }

    /**
     * The request with a conversation's earlier messages ({@code context}, oldest first) ahead of the new ones,
     * and an agent's system prompt ahead of everything.
     */
    static ChatRequest read(NativeChatRequest wire, AgentCatalog agents, List<ChatMessage> context) {
        boolean hasMessages = wire.messages() != null && !wire.messages().isEmpty();
        boolean hasPrompt = wire.prompt() != null && !wire.prompt().isBlank();
        if (hasMessages == hasPrompt) {
            throw GatewayException.invalid("messages", hasMessages ? "send either messages or prompt, not both"
                    : "send messages (a non-empty list) or a prompt");
        }
        boolean hasAgent = wire.agent() != null && !wire.agent().isBlank();
        if (!hasAgent && (wire.model() == null || wire.model().isBlank())) {
            throw GatewayException.invalid("model", "is required unless an agent is named");
        }
        if (wire.model() != null && !wire.model().isBlank()) {
            ModelNames.check(wire.model());
        }
        if (wire.temperature() != null && (wire.temperature() < 0 || wire.temperature() > 2)) {
            throw GatewayException.invalid("temperature", "must be between 0 and 2");
        }
        if (wire.maxTokens() != null && wire.maxTokens() <= 0) {
            throw GatewayException.invalid("max_tokens", "must be a positive number");
        }
        List<ChatMessage> messages = hasPrompt ? List.of(ChatMessage.of(Role.USER, wire.prompt())) : messages(wire.messages());
        if (!context.isEmpty()) {
            List<ChatMessage> all = new ArrayList<>(context.size() + messages.size());
            all.addAll(context);
            all.addAll(messages);
            messages = all;
        }
        ChatRequest request = new ChatRequest(wire.model(), messages,
                new Sampling(wire.temperature(), null, null, null, null, null),
                new ReplyOptions(wire.maxTokens(), null, null, null, null), null, null, null);
        return hasAgent ? agents.apply(wire.agent(), request) : request;
    }

    /** The caller's new messages as sent, for history; only after {@link #read} accepted the request. */
    static List<ChatMessage> newMessages(NativeChatRequest wire) {
        return wire.prompt() != null && !wire.prompt().isBlank() ? List.of(ChatMessage.of(Role.USER, wire.prompt()))
                : messages(wire.messages());
    }

    private static List<ChatMessage> messages(List<NativeChatRequest.Message> wire) {
        List<ChatMessage> messages = new ArrayList<>(wire.size());
        for (int i = 0; i < wire.size(); i++) {
            NativeChatRequest.Message message = wire.get(i);
            String path = "messages[" + i + "]";
            if (message == null) {
                throw GatewayException.invalid(path, "must be an object");
            }
            Role role = Role.fromWire(message.role());
            if (role == null || role == Role.TOOL) {
                throw GatewayException.invalid(path + ".role", message.role() == null ? "is required"
                        : "unknown role '" + message.role() + "' (expected system, user or assistant)");
            }
            if (message.content() == null) {
                throw GatewayException.invalid(path + ".content", "is required");
            }
            messages.add(ChatMessage.of(role, message.content()));
        }
        return messages;
    }
}
