package dev.sluice.gateway.chat.openai;

import java.util.ArrayList;
import java.util.List;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.ResponseFormat;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.llm.ToolChoice;
import dev.sluice.gateway.llm.ToolDefinition;
import dev.sluice.gateway.routing.ModelNames;
import dev.sluice.gateway.web.GatewayException;
import tools.jackson.databind.JsonNode;

/** Checks an OpenAI request and turns it into the neutral {@link ChatRequest}; each refusal names the field. */
final class ChatCompletionRequestReader {

    private static final int MAX_STOP_SEQUENCES = 4;

    private ChatCompletionRequestReader() {
    }

    static ChatRequest read(ChatCompletionRequest wire) {
        if (wire.model() == null || wire.model().isBlank()) {
            throw GatewayException.invalid("model", "is required");
        }
        ModelNames.check(wire.model());
        if (wire.n() != null && wire.n() != 1) {
            throw GatewayException.invalid("n", "only 1 choice per request is supported");
        }
        check(wire.temperature() == null || (wire.temperature() >= 0 && wire.temperature() <= 2), "temperature", "must be between 0 and 2");
        check(wire.topP() == null || (wire.topP() >= 0 && wire.topP() <= 1), "top_p", "must be between 0 and 1");
        Integer maxTokens = wire.maxCompletionTokens() != null ? wire.maxCompletionTokens() : wire.maxTokens();
        check(maxTokens == null || maxTokens > 0, wire.maxCompletionTokens() != null ? "max_completion_tokens" : "max_tokens",
                "must be a positive number");
        return new ChatRequest(wire.model(), messages(wire.messages()), wire.temperature(), wire.topP(), maxTokens,
                stop(wire.stop()), wire.seed(), wire.presencePenalty(), wire.frequencyPenalty(), tools(wire.tools()),
                toolChoice(wire.toolChoice()), wire.parallelToolCalls(), responseFormat(wire.responseFormat()), wire.user());
    }

    private static List<ChatMessage> messages(List<ChatCompletionRequest.Message> wire) {
        if (wire == null || wire.isEmpty()) {
            throw GatewayException.invalid("messages", "must hold at least one message");
        }
        List<ChatMessage> messages = new ArrayList<>(wire.size());
        for (int i = 0; i < wire.size(); i++) {
            messages.add(message(wire.get(i), "messages[" + i + "]"));
        }
        return messages;
    }

    private static ChatMessage message(ChatCompletionRequest.Message wire, String path) {
        if (wire == null) {
            throw GatewayException.invalid(path, "must be an object");
        }
        Role role = Role.fromWire(wire.role());
        if (role == null) {
            throw GatewayException.invalid(path + ".role", wire.role() == null ? "is required"
                    : "unknown role '" + wire.role() + "' (expected system, developer, user, assistant or tool)");
        }
        String content = content(wire.content(), path + ".content");
        List<ToolCall> toolCalls = toolCalls(wire.toolCalls(), path + ".tool_calls");
        if (content == null && toolCalls.isEmpty()) {
            throw GatewayException.invalid(path + ".content", "is required");
        }
        if (role == Role.TOOL && (wire.toolCallId() == null || wire.toolCallId().isBlank())) {
            throw GatewayException.invalid(path + ".tool_call_id", "is required on tool messages");
        }
        return new ChatMessage(role, content, toolCalls, wire.toolCallId(), wire.name());
    }

    /** Text content: a string, or an array of text parts joined together. */
    private static String content(JsonNode content, String path) {
        if (content == null || content.isNull()) {
            return null;
        }
        if (content.isString()) {
            return content.asString();
        }
        if (!content.isArray()) {
            throw GatewayException.invalid(path, "must be a string or an array of content parts");
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < content.size(); i++) {
            JsonNode part = content.get(i);
            String type = part.path("type").asString("");
            if (!type.equals("text") || !part.path("text").isString()) {
                throw GatewayException.invalid(path + "[" + i + "]", type.equals("text") ? "a text part needs a string 'text'"
                        : "content parts of type '" + type + "' are not supported; only text is");
            }
            text.append(part.get("text").asString());
        }
        return text.toString();
    }

    private static List<ToolCall> toolCalls(List<ChatCompletionRequest.ToolCall> wire, String path) {
        if (wire == null) {
            return List.of();
        }
        List<ToolCall> calls = new ArrayList<>(wire.size());
        for (int i = 0; i < wire.size(); i++) {
            ChatCompletionRequest.ToolCall call = wire.get(i);
            if (call == null || call.function() == null || call.function().name() == null) {
                throw GatewayException.invalid(path + "[" + i + "].function.name", "is required");
            }
            calls.add(new ToolCall(call.id(), call.function().name(), call.function().arguments()));
        }
        return calls;
    }

    private static List<String> stop(JsonNode stop) {
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        if (stop.isString()) {
            return List.of(stop.asString());
        }
        check(stop.isArray() && stop.size() <= MAX_STOP_SEQUENCES, "stop", "must be a string or an array of at most 4 strings");
        List<String> sequences = new ArrayList<>(stop.size());
        for (JsonNode sequence : stop) {
            check(sequence.isString(), "stop", "must be a string or an array of at most 4 strings");
            sequences.add(sequence.asString());
        }
        return sequences;
    }

    private static List<ToolDefinition> tools(List<ChatCompletionRequest.Tool> wire) {
        if (wire == null) {
            return List.of();
        }
        List<ToolDefinition> tools = new ArrayList<>(wire.size());
        for (int i = 0; i < wire.size(); i++) {
            ChatCompletionRequest.Tool tool = wire.get(i);
            String path = "tools[" + i + "]";
            check(tool != null && (tool.type() == null || tool.type().equals("function")), path + ".type",
                    "only 'function' tools are supported");
            check(tool.function() != null && tool.function().name() != null && !tool.function().name().isBlank(),
                    path + ".function.name", "is required");
            ChatCompletionRequest.Function function = tool.function();
            tools.add(new ToolDefinition(function.name(), function.description(), function.parameters(), function.strict()));
        }
        return tools;
    }

    private static ToolChoice toolChoice(JsonNode choice) {
        if (choice == null || choice.isNull()) {
            return null;
        }
        if (choice.isString()) {
            switch (choice.asString()) {
                case "auto":
                    return ToolChoice.of(ToolChoice.Mode.AUTO);
                case "none":
                    return ToolChoice.of(ToolChoice.Mode.NONE);
                case "required":
                    return ToolChoice.of(ToolChoice.Mode.REQUIRED);
                default:
                    throw GatewayException.invalid("tool_choice", "must be 'auto', 'none', 'required' or a function choice");
            }
        }
        String name = choice.path("function").path("name").asString(null);
        check(name != null && !name.isBlank(), "tool_choice.function.name", "is required");
        return ToolChoice.function(name);
    }

    private static ResponseFormat responseFormat(ChatCompletionRequest.ResponseFormat wire) {
        if (wire == null) {
            return null;
        }
        check(wire.type() != null && List.of("text", "json_object", "json_schema").contains(wire.type()),
                "response_format.type", "must be 'text', 'json_object' or 'json_schema'");
        check(!wire.type().equals("json_schema") || wire.jsonSchema() != null, "response_format.json_schema",
                "is required with type 'json_schema'");
        return new ResponseFormat(wire.type(), wire.jsonSchema());
    }

    private static void check(boolean valid, String param, String problem) {
        if (!valid) {
            throw GatewayException.invalid(param, problem);
        }
    }
}
