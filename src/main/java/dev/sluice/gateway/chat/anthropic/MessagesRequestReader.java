package dev.sluice.gateway.chat.anthropic;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.ContentPart;
import dev.sluice.gateway.llm.ReplyOptions;
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
 * Checks a Messages API request and turns it into the neutral {@link ChatRequest}; each refusal names the field.
 * <p>
 * The system prompt's blocks become system messages; a user turn's text and image blocks become one user message of
 * those parts, and each of its {@code tool_result} blocks a tool message, in their order; an assistant turn's text
 * and {@code tool_use} blocks become one assistant message with its tool calls. What the neutral model cannot carry
 * is refused with a 400 naming it, never dropped: {@code top_k}, extended thinking, efforts other than the default,
 * server tools and deferred ones, documents, images in tool results, and any request, tool or metadata field this
 * API does not know (a content block's other fields, such as {@code citations}, are not read). Four things are read
 * as the no-ops they are here: {@code cache_control} (prompt caching is a provider's billing, not the reply),
 * {@code thinking} of type {@code disabled}, {@code context_management} edits that clear thinking (none reaches a
 * provider), and {@code output_config.effort} {@code high} (Anthropic's default). A {@code tool_result} flagged
 * {@code is_error} says so in its text, which every provider reads.
 */
final class MessagesRequestReader {

    /** The image types Anthropic reads; OpenAI and Gemini read the same. */
    private static final Set<String> IMAGE_TYPES = Set.of("image/jpeg", "image/png", "image/gif", "image/webp");
    private static final Set<String> TOOL_FIELDS = Set.of("type", "name", "description", "input_schema", "cache_control",
            "strict");
    private static final String ERROR_PREFIX = "Error: ";

    private MessagesRequestReader() {
    }

    /** A request for {@code /v1/messages}, which must say {@code max_tokens}. */
    static ChatRequest read(MessagesRequest wire) {
        if (wire.maxTokens() == null) {
            throw GatewayException.invalid("max_tokens", "is required");
        }
        return readAny(wire);
    }

    /** A request for {@code /v1/messages/count_tokens}, which need not say {@code max_tokens}. */
    static ChatRequest readForCount(MessagesRequest wire) {
        return readAny(wire);
    }

    private static ChatRequest readAny(MessagesRequest wire) {
        refuseUnknown(wire.others());
        if (wire.model() == null || wire.model().isBlank()) {
            throw GatewayException.invalid("model", "is required");
        }
        ModelNames.check(wire.model());
        check(wire.maxTokens() == null || wire.maxTokens() > 0, "max_tokens", "must be a positive number");
        check(wire.temperature() == null || (wire.temperature() >= 0 && wire.temperature() <= 1), "temperature",
                "must be between 0 and 1");
        check(wire.topP() == null || (wire.topP() >= 0 && wire.topP() <= 1), "top_p", "must be between 0 and 1");
        check(absent(wire.topK()), "top_k", "is not supported: the providers behind Sluice share no top-k sampling;"
                + " leave it out");
        thinking(wire.thinking());
        contextManagement(wire.contextManagement());
        outputConfig(wire.outputConfig());
        List<ChatMessage> messages = new ArrayList<>();
        system(wire.system(), "system", messages);
        messages(wire.messages(), messages);
        return new ChatRequest(wire.model(), messages,
                new Sampling(wire.temperature(), wire.topP(), null, null, null, stopSequences(wire.stopSequences())),
                new ReplyOptions(wire.maxTokens(), null, null, null, null), tools(wire.tools(), wire.toolChoice()),
                user(wire.metadata()), null);
    }

    private static void refuseUnknown(Map<String, JsonNode> others) {
        if (others != null && !others.isEmpty()) {
            String field = others.keySet().iterator().next();
            throw GatewayException.invalid(field, "is not supported by Sluice's Messages API");
        }
    }

    private static void thinking(JsonNode thinking) {
        if (absent(thinking)) {
            return;
        }
        check(thinking.isObject(), "thinking", "must be an object");
        String type = thinking.path("type").asString("");
        check(type.equals("disabled"), "thinking", "extended thinking ('" + type + "') does not pass through Sluice;"
                + " leave it out or send {\"type\":\"disabled\"} (Claude Code: MAX_THINKING_TOKENS=0)");
    }

    /** Only the effort Anthropic applies when none is asked for, {@code high}: other levels change the reply. */
    private static void outputConfig(JsonNode config) {
        if (absent(config)) {
            return;
        }
        check(config.isObject(), "output_config", "must be an object");
        for (String field : config.propertyNames()) {
            check(field.equals("effort"), "output_config." + field, "is not supported (only effort is)");
        }
        JsonNode effort = config.path("effort");
        check(absent(effort) || "high".equals(effort.asString(null)), "output_config.effort",
                "only 'high', the default, passes through Sluice (Claude Code: CLAUDE_CODE_EFFORT_LEVEL=high)");
    }

    /** Only edits that clear thinking, which never reaches a provider through Sluice: nothing to clear. */
    private static void contextManagement(JsonNode management) {
        if (absent(management)) {
            return;
        }
        JsonNode edits = management.path("edits");
        check(management.isObject() && management.size() == 1 && edits.isArray(), "context_management",
                "only {\"edits\": [...]} of thinking edits is supported");
        for (int i = 0; i < edits.size(); i++) {
            String type = edits.get(i).path("type").asString("");
            check(type.startsWith("clear_thinking_"), "context_management.edits[" + i + "].type",
                    "'" + type + "' is not supported; Sluice keeps every message it is sent");
        }
    }

    /** A string, or text blocks: one system message each. */
    private static void system(JsonNode system, String path, List<ChatMessage> out) {
        if (absent(system)) {
            return;
        }
        if (system.isString()) {
            out.add(ChatMessage.of(Role.SYSTEM, system.asString()));
            return;
        }
        check(system.isArray(), path, "must be a string or an array of text blocks");
        for (int i = 0; i < system.size(); i++) {
            JsonNode block = system.get(i);
            String blockPath = path + "[" + i + "]";
            check("text".equals(block.path("type").asString(null)), blockPath + ".type", "must be 'text'");
            out.add(ChatMessage.of(Role.SYSTEM, text(block, blockPath)));
        }
    }

    private static void messages(List<MessagesRequest.Message> wire, List<ChatMessage> out) {
        if (wire == null || wire.isEmpty()) {
            throw GatewayException.invalid("messages", "must hold at least one message");
        }
        for (int i = 0; i < wire.size(); i++) {
            String path = "messages[" + i + "]";
            MessagesRequest.Message message = wire.get(i);
            check(message != null, path, "must be an object");
            JsonNode content = message.content();
            check(!absent(content), path + ".content", "is required");
            if (message.role() == null) {
                throw GatewayException.invalid(path + ".role", "is required");
            }
            switch (message.role()) {
                case "user" -> user(content, path + ".content", out);
                case "assistant" -> out.add(assistant(content, path + ".content"));
                // Not Anthropic's, yet sent by clients that mean a system prompt in its place.
                case "system" -> system(content, path + ".content", out);
                default -> throw GatewayException.invalid(path + ".role", "unknown role '" + message.role()
                        + "' (expected user or assistant)");
            }
        }
    }

    /** Text and images in one user message; each tool result a tool message of its own, in order. */
    private static void user(JsonNode content, String path, List<ChatMessage> out) {
        if (content.isString()) {
            out.add(ChatMessage.of(Role.USER, content.asString()));
            return;
        }
        check(content.isArray(), path, "must be a string or an array of content blocks");
        List<ContentPart> parts = new ArrayList<>();
        for (int i = 0; i < content.size(); i++) {
            JsonNode block = content.get(i);
            String blockPath = path + "[" + i + "]";
            switch (type(block, blockPath)) {
                case "text" -> parts.add(new ContentPart.Text(text(block, blockPath)));
                case "image" -> parts.add(image(block.path("source"), blockPath + ".source"));
                case "tool_result" -> {
                    if (!parts.isEmpty()) {
                        out.add(ChatMessage.of(Role.USER, List.copyOf(parts)));
                        parts.clear();
                    }
                    out.add(toolResult(block, blockPath));
                }
                default -> throw unsupportedBlock(block, blockPath, "text, image and tool_result");
            }
        }
        if (!parts.isEmpty() || content.isEmpty()) {
            out.add(ChatMessage.of(Role.USER, parts));
        }
    }

    private static ChatMessage assistant(JsonNode content, String path) {
        if (content.isString()) {
            return ChatMessage.of(Role.ASSISTANT, content.asString());
        }
        check(content.isArray(), path, "must be a string or an array of content blocks");
        List<ContentPart> texts = new ArrayList<>();
        List<ToolCall> calls = new ArrayList<>();
        for (int i = 0; i < content.size(); i++) {
            JsonNode block = content.get(i);
            String blockPath = path + "[" + i + "]";
            switch (type(block, blockPath)) {
                case "text" -> texts.add(new ContentPart.Text(text(block, blockPath)));
                case "tool_use" -> calls.add(toolUse(block, blockPath));
                default -> throw unsupportedBlock(block, blockPath, "text and tool_use");
            }
        }
        ChatMessage text = ChatMessage.of(Role.ASSISTANT, texts);
        return new ChatMessage(Role.ASSISTANT, text.content(), calls, null, null, text.parts(), null);
    }

    private static ContentPart.Image image(JsonNode source, String path) {
        String type = source.path("type").asString("");
        switch (type) {
            case "base64" -> {
                String mediaType = source.path("media_type").asString("");
                check(IMAGE_TYPES.contains(mediaType), path + ".media_type",
                        "must be image/jpeg, image/png, image/gif or image/webp");
                JsonNode data = source.path("data");
                check(data.isString() && !data.asString().isEmpty(), path + ".data", "must be the image in base64");
                return ContentPart.Image.inline(mediaType, data.asString());
            }
            case "url" -> {
                JsonNode url = source.path("url");
                check(url.isString() && !url.asString().isBlank(), path + ".url", "is required");
                return ContentPart.Image.at(url.asString());
            }
            default -> throw GatewayException.invalid(path + ".type", type.isEmpty() ? "is required"
                    : "'" + type + "' is not supported (base64 and url are)");
        }
    }

    /** A tool's answer as text; an error is said in the text, as no other protocol has the flag. */
    private static ChatMessage toolResult(JsonNode block, String path) {
        JsonNode id = block.path("tool_use_id");
        check(id.isString() && !id.asString().isBlank(), path + ".tool_use_id", "is required");
        JsonNode content = block.path("content");
        String text;
        if (absent(content)) {
            text = "";
        }
        else if (content.isString()) {
            text = content.asString();
        }
        else {
            check(content.isArray(), path + ".content", "must be a string or an array of text blocks");
            List<String> texts = new ArrayList<>(content.size());
            for (int i = 0; i < content.size(); i++) {
                JsonNode part = content.get(i);
                String partPath = path + ".content[" + i + "]";
                check("text".equals(type(part, partPath)), partPath + ".type",
                        "'" + part.path("type").asString("") + "' is not supported in tool results; only text is");
                texts.add(text(part, partPath));
            }
            text = String.join("\n", texts);
        }
        if (block.path("is_error").asBoolean(false)) {
            text = ERROR_PREFIX + text;
        }
        return new ChatMessage(Role.TOOL, text, List.of(), id.asString(), null);
    }

    private static ToolCall toolUse(JsonNode block, String path) {
        JsonNode id = block.path("id");
        JsonNode name = block.path("name");
        check(id.isString() && !id.asString().isBlank(), path + ".id", "is required");
        check(name.isString() && !name.asString().isBlank(), path + ".name", "is required");
        JsonNode input = block.path("input");
        check(absent(input) || input.isObject(), path + ".input", "must be an object");
        return new ToolCall(id.asString(), name.asString(), absent(input) ? "{}" : input.toString());
    }

    private static ToolUse tools(List<JsonNode> wire, JsonNode choice) {
        List<ToolDefinition> definitions = new ArrayList<>(wire == null ? 0 : wire.size());
        if (wire != null) {
            for (int i = 0; i < wire.size(); i++) {
                definitions.add(tool(wire.get(i), "tools[" + i + "]"));
            }
        }
        if (absent(choice)) {
            return new ToolUse(definitions, null, null);
        }
        check(choice.isObject(), "tool_choice", "must be an object");
        Boolean parallel = null;
        JsonNode disableParallel = choice.path("disable_parallel_tool_use");
        if (!absent(disableParallel)) {
            check(disableParallel.isBoolean(), "tool_choice.disable_parallel_tool_use", "must be true or false");
            parallel = disableParallel.asBoolean() ? Boolean.FALSE : null;
        }
        String type = choice.path("type").asString("");
        ToolChoice toolChoice = switch (type) {
            case "auto" -> ToolChoice.of(ToolChoice.Mode.AUTO);
            case "any" -> ToolChoice.of(ToolChoice.Mode.REQUIRED);
            case "none" -> ToolChoice.of(ToolChoice.Mode.NONE);
            case "tool" -> {
                JsonNode name = choice.path("name");
                check(name.isString() && !name.asString().isBlank(), "tool_choice.name", "is required with type 'tool'");
                yield ToolChoice.function(name.asString());
            }
            default -> throw GatewayException.invalid("tool_choice.type", "must be 'auto', 'any', 'tool' or 'none'");
        };
        return new ToolUse(definitions, toolChoice, parallel);
    }

    /** A custom tool; Anthropic's server tools (web search, code execution...) have no provider behind Sluice. */
    private static ToolDefinition tool(JsonNode tool, String path) {
        check(tool != null && tool.isObject(), path, "must be an object");
        check(!tool.has("defer_loading"), path + ".defer_loading", "deferred tools need Anthropic's tool search, which"
                + " Sluice does not run (Claude Code: ENABLE_TOOL_SEARCH=false)");
        for (String field : tool.propertyNames()) {
            check(TOOL_FIELDS.contains(field), path + "." + field, "is not supported by Sluice's Messages API");
        }
        String type = tool.path("type").asString("custom");
        check(type.equals("custom"), path + ".type", "'" + type + "' is a server tool, which Sluice does not run;"
                + " only custom tools (no type, or 'custom') are supported");
        JsonNode name = tool.path("name");
        check(name.isString() && !name.asString().isBlank(), path + ".name", "is required");
        JsonNode schema = tool.path("input_schema");
        check(absent(schema) || schema.isObject(), path + ".input_schema", "must be a JSON Schema object");
        JsonNode description = tool.path("description");
        check(absent(description) || description.isString(), path + ".description", "must be a string");
        JsonNode strict = tool.path("strict");
        check(absent(strict) || strict.isBoolean(), path + ".strict", "must be true or false");
        return new ToolDefinition(name.asString(), absent(description) ? null : description.asString(),
                absent(schema) ? null : schema, absent(strict) ? null : strict.asBoolean());
    }

    private static List<String> stopSequences(List<String> wire) {
        if (wire == null) {
            return List.of();
        }
        for (int i = 0; i < wire.size(); i++) {
            check(wire.get(i) != null && !wire.get(i).isEmpty(), "stop_sequences[" + i + "]", "must be a non-empty string");
        }
        return wire;
    }

    /** {@code metadata.user_id}, Anthropic's name for the end user. */
    private static String user(JsonNode metadata) {
        if (absent(metadata)) {
            return null;
        }
        check(metadata.isObject(), "metadata", "must be an object");
        for (String field : metadata.propertyNames()) {
            check(field.equals("user_id"), "metadata." + field, "is not supported (only user_id is)");
        }
        JsonNode user = metadata.path("user_id");
        check(absent(user) || user.isString(), "metadata.user_id", "must be a string");
        return absent(user) ? null : user.asString();
    }

    private static String type(JsonNode block, String path) {
        check(block != null && block.isObject(), path, "must be a content block object");
        JsonNode type = block.path("type");
        check(type.isString(), path + ".type", "is required");
        return type.asString();
    }

    private static String text(JsonNode block, String path) {
        JsonNode text = block.path("text");
        check(text.isString(), path + ".text", "must be a string");
        return text.asString();
    }

    private static GatewayException unsupportedBlock(JsonNode block, String path, String supported) {
        return GatewayException.invalid(path + ".type", "content blocks of type '" + block.path("type").asString()
                + "' are not supported here (" + supported + " are)");
    }

    private static boolean absent(JsonNode node) {
        return node == null || node.isMissingNode() || node.isNull();
    }

    private static void check(boolean valid, String param, String problem) {
        if (!valid) {
            throw GatewayException.invalid(param, problem);
        }
    }
}
