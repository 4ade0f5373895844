package dev.sluice.gateway.provider.anthropic;

import java.util.ArrayList;
import java.util.List;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.ContentPart;
import dev.sluice.gateway.llm.ResponseFormat;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.llm.Sampling;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.llm.ToolChoice;
import dev.sluice.gateway.llm.ToolDefinition;
import dev.sluice.gateway.llm.ToolUse;
import dev.sluice.gateway.provider.UpstreamCall;
import dev.sluice.gateway.provider.http.Conversation;
import dev.sluice.gateway.provider.http.OpenAiOnly;
import dev.sluice.gateway.provider.http.ReasoningBudget;
import dev.sluice.gateway.provider.http.ToolArguments;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes a neutral request as a Messages API request body. System messages become the one
 * {@code system} prompt; a message's parts are text and image blocks; assistant tool calls are {@code tool_use}
 * blocks; tool results are user turns of {@code tool_result} blocks (see {@link Conversation}).
 * <p>
 * A {@code json_schema} response format is {@code output_config.format}; a reasoning effort is extended thinking
 * with the {@link ReasoningBudget} of that effort, inside {@code max_tokens} as Anthropic counts it (a caller that
 * set no cap gets the budget and {@link #DEFAULT_MAX_TOKENS} for the answer). A request that continues a tool loop
 * goes without thinking: Anthropic wants the thinking block of the turn that called the tools back, signed, and an
 * OpenAI-shaped conversation cannot carry it. What Anthropic cannot express is refused by name (see
 * {@link OpenAiOnly}), never dropped: a seed, penalties other than 0, JSON without a schema. An image's
 * {@code detail} is a hint Anthropic has no use for, as it sizes images itself, and goes nowhere.
 */
final class AnthropicRequestEncoder {

    /** The API requires {@code max_tokens}; this is what a caller that set none gets for the answer. */
    static final int DEFAULT_MAX_TOKENS = 4096;
    /** The smallest thinking budget Anthropic takes. */
    static final int MIN_THINKING_BUDGET = 1_024;
    private static final String PROTOCOL = "Anthropic's Messages API";

    private final JsonMapper json;

    AnthropicRequestEncoder(JsonMapper json) {
        this.json = json;
    }

    AnthropicRequestWire.Request wire(UpstreamCall call) {
        ChatRequest request = call.request();
        OpenAiOnly.refuse(request, PROTOCOL);
        Sampling sampling = request.sampling();
        if (sampling.seed() != null) {
            throw OpenAiOnly.unsupported("seed", PROTOCOL + " has no seed");
        }
        refuseNonZero("presence_penalty", sampling.presencePenalty());
        refuseNonZero("frequency_penalty", sampling.frequencyPenalty());
        Conversation<AnthropicRequestWire.Block> conversation = Conversation.of(request.messages(), this::blocks);
        List<AnthropicRequestWire.Message> messages = new ArrayList<>(conversation.turns().size());
        for (Conversation.Turn<AnthropicRequestWire.Block> turn : conversation.turns()) {
            messages.add(new AnthropicRequestWire.Message(turn.assistant() ? "assistant" : "user", turn.parts()));
        }
        Integer maxTokens = request.reply().maxTokens();
        AnthropicRequestWire.Thinking thinking = thinking(request);
        int cap = maxTokens != null ? maxTokens
                : thinking != null ? thinking.budgetTokens() + DEFAULT_MAX_TOKENS : DEFAULT_MAX_TOKENS;
        return new AnthropicRequestWire.Request(
                call.model(),
                cap,
                conversation.system().isEmpty() ? null : String.join("\n\n", conversation.system()),
                messages,
                sampling.temperature(),
                sampling.topP(),
                sampling.stop(),
                request.toolUse().definitions().stream().map(this::tool).toList(),
                toolChoice(request.toolUse()),
                request.user() == null ? null : new AnthropicRequestWire.Metadata(request.user()),
                thinking,
                outputConfig(request.reply().format()),
                true);
    }

    private static void refuseNonZero(String parameter, Double penalty) {
        if (penalty != null && penalty != 0.0) {
            throw OpenAiOnly.unsupported(parameter, PROTOCOL + " has no " + parameter.replace('_', ' '));
        }
    }

    /**
     * Extended thinking for a reasoning effort, within the cap: none for {@code none}, nor for a request that
     * continues a tool loop (see the class comment).
     */
    private static AnthropicRequestWire.Thinking thinking(ChatRequest request) {
        String effort = request.reply().reasoningEffort();
        if (effort == null) {
            return null;
        }
        int budget = ReasoningBudget.of(effort, PROTOCOL);
        if (budget == ReasoningBudget.NONE || continuesToolLoop(request.messages())) {
            return null;
        }
        Integer maxTokens = request.reply().maxTokens();
        if (maxTokens != null) {
            if (maxTokens <= MIN_THINKING_BUDGET) {
                throw OpenAiOnly.unsupported("reasoning_effort", PROTOCOL + " thinks in at least " + MIN_THINKING_BUDGET
                        + " tokens, inside max_tokens, and this request's cap (its own, or its quota's) is "
                        + maxTokens);
            }
            budget = Math.min(budget, maxTokens - 1);
        }
        return new AnthropicRequestWire.Thinking("enabled", Math.max(MIN_THINKING_BUDGET, budget));
    }

    /** Whether the conversation ends with the results of tools the assistant called. */
    private static boolean continuesToolLoop(List<ChatMessage> messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            ChatMessage message = messages.get(i);
            if (message.role() != Role.TOOL) {
                return message.role() == Role.ASSISTANT && !message.toolCalls().isEmpty();
            }
        }
        return false;
    }

    /** A schema the reply follows; JSON without one, Anthropic cannot promise. */
    private static AnthropicRequestWire.OutputConfig outputConfig(ResponseFormat format) {
        if (format == null || "text".equals(format.type())) {
            return null;
        }
        JsonNode schema = format.jsonSchema() == null ? null : format.jsonSchema().path("schema");
        if (!"json_schema".equals(format.type()) || schema == null || !schema.isObject()) {
            throw OpenAiOnly.unsupported("response_format", PROTOCOL + " takes JSON only against a schema: send"
                    + " {\"type\":\"json_schema\",\"json_schema\":{\"name\":...,\"schema\":{...}}}");
        }
        return new AnthropicRequestWire.OutputConfig(new AnthropicRequestWire.Format("json_schema", schema));
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
    private static AnthropicRequestWire.ToolChoice toolChoice(ToolUse tools) {
        ToolChoice choice = tools.choice();
        Boolean oneCallAtMost = Boolean.FALSE.equals(tools.parallelCalls()) ? Boolean.TRUE : null;
        if (tools.isEmpty() || (choice == null && oneCallAtMost == null)) {
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
