package dev.sluice.gateway.provider.anthropic;

import java.util.ArrayList;
import java.util.List;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.ContentPart;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.llm.ToolChoice;
import dev.sluice.gateway.llm.ToolDefinition;
import dev.sluice.gateway.provider.UpstreamCall;
import dev.sluice.gateway.provider.http.Conversation;
import dev.sluice.gateway.provider.http.ToolArguments;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes a neutral request as a Messages API request body. System messages become the one
 * {@code system} prompt; a message's parts are text and image blocks; assistant tool calls are {@code tool_use}
 * blocks; tool results are user turns of {@code tool_result} blocks (see {@link Conversation}). Anthropic has no
 * seed, penalties or JSON mode: those parameters are left out rather than refused, so an alias may fall back across
 * vendors.
 */
final class AnthropicRequestEncoder {

    /** The API requires {@code max_tokens}; this is what a caller that set none gets. */
    static final int DEFAULT_MAX_TOKENS = 4096;

    private final JsonMapper json;

    AnthropicRequestEncoder(JsonMapper json) {
        this.json = json;
    }

    AnthropicRequestWire.Request wire(UpstreamCall call) {
        ChatRequest request = call.request();
        Conversation<AnthropicRequestWire.Block> conversation = Conversation.of(request.messages(), this::blocks);
        List<AnthropicRequestWire.Message> messages = new ArrayList<>(conversation.turns().size());
        for (Conversation.Turn<AnthropicRequestWire.Block> turn : conversation.turns()) {
            messages.add(new AnthropicRequestWire.Message(turn.assistant() ? "assistant" : "user", turn.parts()));
        }
        return new AnthropicRequestWire.Request(
                call.model(),
                request.maxTokens() != null ? request.maxTokens() : DEFAULT_MAX_TOKENS,
                conversation.system().isEmpty() ? null : String.join("\n\n", conversation.system()),
                messages,
                request.temperature(),
                request.topP(),
                request.stop(),
                request.tools().stream().map(this::tool).toList(),
                toolChoice(request),
                request.user() == null ? null : new AnthropicRequestWire.Metadata(request.user()),
                true);
    }

    /** Text blocks must not be blank, so an empty message has no blocks and is left out. */
    private List<AnthropicRequestWire.Block> blocks(ChatMessage message) {
        List<AnthropicRequestWire.Block> blocks = new ArrayList<>(1 + message.toolCalls().size());
        String content = message.content();
        if (message.role() == Role.TOOL) {
            blocks.add(AnthropicRequestWire.Block.toolResult(message.toolCallId(),
                    content == null || content.isEmpty() ? null : content));
            return blocks;
        }
        if (message.hasParts()) {
            for (ContentPart part : message.parts()) {
                if (part instanceof ContentPart.Text text && !text.text().isBlank()) {
                    blocks.add(AnthropicRequestWire.Block.text(text.text()));
                }
                else if (part instanceof ContentPart.Image image) {
                    blocks.add(AnthropicRequestWire.Block.image(image.isInline()
                            ? new AnthropicRequestWire.Source("base64", image.mediaType(), image.data(), null)
                            : new AnthropicRequestWire.Source("url", null, null, image.url())));
                }
            }
        }
        else if (content != null && !content.isBlank()) {
            blocks.add(AnthropicRequestWire.Block.text(content));
        }
        for (ToolCall call : message.toolCalls()) {
            blocks.add(AnthropicRequestWire.Block.toolUse(call.id(), call.name(), ToolArguments.object(json, call)));
        }
        return blocks;
    }

    private AnthropicRequestWire.Tool tool(ToolDefinition tool) {
        // The API requires a schema; a function without parameters takes an empty object.
        JsonNode schema = tool.parameters() != null ? tool.parameters() : json.createObjectNode().put("type", "object");
        return new AnthropicRequestWire.Tool(tool.name(), tool.description(), schema);
    }

    /** Only with tools; OpenAI's {@code parallel_tool_calls: false} is Anthropic's {@code disable_parallel_tool_use}. */
    private static AnthropicRequestWire.ToolChoice toolChoice(ChatRequest request) {
        ToolChoice choice = request.toolChoice();
        Boolean oneCallAtMost = Boolean.FALSE.equals(request.parallelToolCalls()) ? Boolean.TRUE : null;
        if (request.tools().isEmpty() || (choice == null && oneCallAtMost == null)) {
            return null;
        }
        ToolChoice.Mode mode = choice == null ? ToolChoice.Mode.AUTO : choice.mode();
        return switch (mode) {
            case NONE -> new AnthropicRequestWire.ToolChoice("none", null, null);
            case REQUIRED -> new AnthropicRequestWire.ToolChoice("any", null, oneCallAtMost);
            case FUNCTION -> new AnthropicRequestWire.ToolChoice("tool", choice.function(), oneCallAtMost);
            case AUTO -> new AnthropicRequestWire.ToolChoice("auto", null, oneCallAtMost);
        };
    }
}
