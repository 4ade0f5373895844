package dev.sluice.gateway.chat.openai;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.ContentPart;
import dev.sluice.gateway.llm.JsonFields;
import dev.sluice.gateway.llm.ReplyOptions;
import dev.sluice.gateway.llm.ResponseFormat;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.llm.Sampling;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.llm.ToolChoice;
import dev.sluice.gateway.llm.ToolDefinition;
import dev.sluice.gateway.llm.ToolUse;
import dev.sluice.gateway.routing.ModelNames;
import dev.sluice.gateway.web.GatewayException;
import tools.jackson.databind.JsonNode;

/**
 * Checks an OpenAI request and turns it into the neutral {@link ChatRequest}; each refusal names the field.
 * <p>
 * What Sluice has no use for is kept as the caller wrote it, for an OpenAI-compatible provider: the request's other
 * parameters, a message's other fields, and content parts other than plain text and images ({@code input_audio},
 * {@code file}, or a text part with a vendor's {@code cache_control}). A field set to {@code null} is one not set,
 * as OpenAI reads it, and is left out. Both {@code max_tokens} and {@code max_completion_tokens} set is one cap, the
 * smaller, sent as {@code max_completion_tokens}, which OpenAI made the other's successor.
 */
final class ChatCompletionRequestReader {

    private static final int MAX_STOP_SEQUENCES = 4;
    private static final String DATA_URL = "data:";
    private static final String BASE64 = ";base64,";
    private static final Set<String> TEXT_FIELDS = Set.of("type", "text");
    private static final Set<String> IMAGE_FIELDS = Set.of("type", "image_url");
    private static final Set<String> IMAGE_URL_FIELDS = Set.of("url", "detail");

    private ChatCompletionRequestReader() {
    }

    static ChatRequest read(ChatCompletionRequest wire) {
        if (wire.model() == null || wire.model().isBlank()) {
            throw GatewayException.invalid("model", "is required");
        }
        ModelNames.check(wire.model());
        check(wire.n() == null || wire.n() >= 1, "n", "must be at least 1");
        check(wire.temperature() == null || (wire.temperature() >= 0 && wire.temperature() <= 2), "temperature", "must be between 0 and 2");
        check(wire.topP() == null || (wire.topP() >= 0 && wire.topP() <= 1), "top_p", "must be between 0 and 1");
        check(wire.maxTokens() == null || wire.maxTokens() > 0, "max_tokens", "must be a positive number");
        check(wire.maxCompletionTokens() == null || wire.maxCompletionTokens() > 0, "max_completion_tokens",
                "must be a positive number");
        check(wire.reasoningEffort() == null || !wire.reasoningEffort().isBlank(), "reasoning_effort",
                "must be an effort such as 'low', 'medium' or 'high'");
        Sampling sampling = new Sampling(wire.temperature(), wire.topP(), wire.seed(), wire.presencePenalty(),
                wire.frequencyPenalty(), stop(wire.stop()));
        ToolUse tools = new ToolUse(tools(wire.tools()), toolChoice(wire.toolChoice()), wire.parallelToolCalls());
        return new ChatRequest(wire.model(), messages(wire.messages()), sampling, reply(wire), tools, wire.user(),
                fields(wire.others()));
    }

    private static ReplyOptions reply(ChatCompletionRequest wire) {
        Integer maxTokens;
        ReplyOptions.CapName capName;
        if (wire.maxCompletionTokens() != null) {
            maxTokens = wire.maxTokens() == null ? wire.maxCompletionTokens()
                    : Math.min(wire.maxTokens(), wire.maxCompletionTokens());
            capName = ReplyOptions.CapName.MAX_COMPLETION_TOKENS;
        }
        else {
            maxTokens = wire.maxTokens();
            capName = maxTokens == null ? null : ReplyOptions.CapName.MAX_TOKENS;
        }
        return new ReplyOptions(maxTokens, capName, wire.n(), wire.reasoningEffort(),
                responseFormat(wire.responseFormat()));
    }

    /** Fields kept as they came, those set to {@code null} left out. */
    private static JsonFields fields(Map<String, JsonNode> others) {
        if (others == null || others.isEmpty()) {
            return JsonFields.EMPTY;
        }
        JsonFields.Builder fields = new JsonFields.Builder();
        others.forEach((name, value) -> {
            if (value != null && !value.isNull()) {
                fields.add(name, value.toString());
            }
        });
        return fields.build();
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
        JsonNode content = wire.content();
        List<ContentPart> parts = content != null && content.isArray() ? parts(content, path + ".content") : List.of();
        String text;
        if (content == null || content.isNull()) {
            text = null;
        }
        else if (content.isString()) {
            text = content.asString();
        }
        else if (content.isArray()) {
            text = ChatMessage.text(parts);
        }
        else {
            throw GatewayException.invalid(path + ".content", "must be a string or an array of content parts");
        }
        List<ToolCall> toolCalls = toolCalls(wire.toolCalls(), path + ".tool_calls");
        if (text == null && toolCalls.isEmpty()) {
            throw GatewayException.invalid(path + ".content", "is required");
        }
        if (role == Role.TOOL && (wire.toolCallId() == null || wire.toolCallId().isBlank())) {
            throw GatewayException.invalid(path + ".tool_call_id", "is required on tool messages");
        }
        // One text part is plain text; several, or parts of other kinds, are sent as they came.
        if (parts.size() == 1 && parts.get(0) instanceof ContentPart.Text) {
            parts = List.of();
        }
        return new ChatMessage(role, text, toolCalls, wire.toolCallId(), wire.name(), parts, fields(wire.others()));
    }

    private static List<ContentPart> parts(JsonNode content, String path) {
        List<ContentPart> parts = new ArrayList<>(content.size());
        for (int i = 0; i < content.size(); i++) {
            parts.add(part(content.get(i), path + "[" + i + "]"));
        }
        return parts;
    }

    /**
     * A text part or an image ({@code image_url}, its URL or a {@code data:} URL of base64 bytes) as the neutral model
     * has them; a part of another kind, or with fields these do not have, as it came.
     */
    private static ContentPart part(JsonNode part, String path) {
        check(part.isObject(), path, "must be a content part object");
        JsonNode typeNode = part.path("type");
        check(typeNode.isString() && !typeNode.asString().isBlank(), path + ".type", "is required");
        String type = typeNode.asString();
        if (type.equals("text")) {
            check(part.path("text").isString(), path + ".text", "a text part needs a string 'text'");
            String text = part.get("text").asString();
            return onlyFields(part, TEXT_FIELDS) ? new ContentPart.Text(text) : new ContentPart.Raw(type, part.toString(), text);
        }
        if (type.equals("image_url")) {
            JsonNode image = part.path("image_url");
            JsonNode url = image.path("url");
            check(url.isString() && !url.asString().isBlank(), path + ".image_url.url", "is required");
            JsonNode detail = image.path("detail");
            check(detail.isMissingNode() || detail.isNull() || detail.isString(), path + ".image_url.detail",
                    "must be 'low', 'high' or 'auto'");
            if (onlyFields(part, IMAGE_FIELDS) && onlyFields(image, IMAGE_URL_FIELDS)) {
                return image(url.asString(), detail.isString() ? detail.asString() : null);
            }
        }
        return new ContentPart.Raw(type, part.toString(), null);
    }

    /** A {@code data:} URL of base64 bytes is the image inline; any other URL is where the provider fetches it. */
    private static ContentPart.Image image(String url, String detail) {
        int base64 = url.indexOf(BASE64);
        if (url.regionMatches(true, 0, DATA_URL, 0, DATA_URL.length()) && base64 > DATA_URL.length()
                && url.indexOf(';', DATA_URL.length()) == base64) {
            return new ContentPart.Image(url.substring(DATA_URL.length(), base64), url.substring(base64 + BASE64.length()),
                    null, detail);
        }
        return new ContentPart.Image(null, null, url, detail);
    }

    private static boolean onlyFields(JsonNode object, Set<String> names) {
        for (String name : object.propertyNames()) {
            if (!names.contains(name)) {
                return false;
            }
        }
        return true;
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
