package dev.sluice.gateway.provider.gemini;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.ContentPart;
import dev.sluice.gateway.llm.ReplyOptions;
import dev.sluice.gateway.llm.ResponseFormat;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.llm.Sampling;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.llm.ToolChoice;
import dev.sluice.gateway.llm.ToolDefinition;
import dev.sluice.gateway.provider.UpstreamCall;
import dev.sluice.gateway.provider.UpstreamException;
import dev.sluice.gateway.provider.http.Conversation;
import dev.sluice.gateway.provider.http.OpenAiOnly;
import dev.sluice.gateway.provider.http.ReasoningBudget;
import dev.sluice.gateway.provider.http.ToolArguments;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes a neutral request as a {@code generateContent} request body. System messages become the
 * {@code systemInstruction}; a message's parts are text and inline image parts; assistant turns are {@code model}
 * turns whose tool calls are {@code functionCall} parts; tool results are user turns of {@code functionResponse}
 * parts, named after the call they answer (Gemini matches them by name, not id); see {@link Conversation}.
 * <p>
 * JSON modes are {@code responseMimeType} (with the schema as {@code responseJsonSchema}), a reasoning effort is
 * {@code thinkingConfig.thinkingBudget} (see {@link ReasoningBudget}). What Gemini cannot express is refused by name
 * (see {@link OpenAiOnly}), never dropped: images by URL among them, as which URLs Gemini fetches depends on the
 * model. The end user ({@code user}) labels a request for abuse tracking, which Gemini has no field for, and an
 * image's {@code detail} is a hint Gemini has no use for: neither goes anywhere.
 */
final class GeminiRequestEncoder {

    private static final String PROTOCOL = "Gemini's API";

    private final JsonMapper json;

    GeminiRequestEncoder(JsonMapper json) {
        this.json = json;
    }

    GeminiRequestWire.Request wire(UpstreamCall call) {
        ChatRequest request = call.request();
        OpenAiOnly.refuse(request, PROTOCOL);
        Map<String, String> functionByCallId = new HashMap<>();
        Conversation<GeminiRequestWire.Part> conversation = Conversation.of(request.messages(),
                message -> parts(request, message, functionByCallId));
        List<GeminiRequestWire.Content> contents = new ArrayList<>(conversation.turns().size());
        for (Conversation.Turn<GeminiRequestWire.Part> turn : conversation.turns()) {
            contents.add(new GeminiRequestWire.Content(turn.assistant() ? "model" : "user", turn.parts()));
        }
        List<ToolDefinition> tools = request.toolUse().definitions();
        return new GeminiRequestWire.Request(
                contents,
                conversation.system().isEmpty() ? null : new GeminiRequestWire.Content(null,
                        conversation.system().stream().map(GeminiRequestWire.Part::text).toList()),
                generationConfig(request),
                tools.isEmpty() ? List.of() : List.of(new GeminiRequestWire.Tool(tools.stream()
                        .map(tool -> new GeminiRequestWire.FunctionDeclaration(tool.name(), tool.description(), tool.parameters()))
                        .toList())),
                tools.isEmpty() ? null : toolConfig(request.toolUse().choice()));
    }

    /** Gemini refuses empty parts, so an empty message has none and is left out. */
    private List<GeminiRequestWire.Part> parts(ChatRequest request, ChatMessage message,
            Map<String, String> functionByCallId) {
        List<GeminiRequestWire.Part> parts = new ArrayList<>(1 + message.toolCalls().size());
        if (message.role() == Role.TOOL) {
            String function = functionByCallId.getOrDefault(message.toolCallId(), message.name());
            if (function == null) {
                throw new UpstreamException.Rejected(400, "the tool message for call '" + message.toolCallId()
                        + "' answers no earlier tool call");
            }
            parts.add(GeminiRequestWire.Part.functionResponse(new GeminiRequestWire.FunctionResponse(function,
                    toolResult(message.content()))));
            return parts;
        }
        List<ContentPart> content = message.parts();
        for (int i = 0; i < content.size(); i++) {
            ContentPart part = content.get(i);
            if (part instanceof ContentPart.Text text && !text.text().isEmpty()) {
                parts.add(GeminiRequestWire.Part.text(text.text()));
            }
            else if (part instanceof ContentPart.Image image) {
                if (!image.isInline()) {
                    throw OpenAiOnly.unsupported(OpenAiOnly.path(request, message) + ".content[" + i + "]", PROTOCOL
                            + " takes images inline only; send the image's bytes (base64, as a data: URL) rather than"
                            + " its URL");
                }
                parts.add(GeminiRequestWire.Part.inline(image.mediaType(), image.data()));
            }
        }
        if (!message.hasParts() && message.content() != null && !message.content().isEmpty()) {
            parts.add(GeminiRequestWire.Part.text(message.content()));
        }
        for (ToolCall call : message.toolCalls()) {
            functionByCallId.put(call.id(), call.name());
            parts.add(GeminiRequestWire.Part.functionCall(
                    new GeminiRequestWire.FunctionCall(call.name(), ToolArguments.object(json, call))));
        }
        return parts;
    }

    /** A function's response must be an object: a JSON object result as it is, anything else wrapped. */
    private JsonNode toolResult(String content) {
        String text = content == null ? "" : content;
        if (text.startsWith("{")) {
            try {
                JsonNode parsed = json.readTree(text);
                if (parsed.isObject()) {
                    return parsed;
                }
            }
            catch (JacksonException e) {
                // Only looked like JSON: wrapped as text below.
            }
        }
        return json.createObjectNode().put("result", text);
    }

    private static GeminiRequestWire.GenerationConfig generationConfig(ChatRequest request) {
        Sampling sampling = request.sampling();
        ReplyOptions reply = request.reply();
        ResponseFormat format = reply.format();
        boolean wantsJson = format != null && !"text".equals(format.type());
        JsonNode schema = wantsJson && "json_schema".equals(format.type()) && format.jsonSchema() != null
                && format.jsonSchema().path("schema").isObject() ? format.jsonSchema().path("schema") : null;
        if (sampling.equals(Sampling.DEFAULTS) && reply.maxTokens() == null && reply.reasoningEffort() == null
                && !wantsJson) {
            return null;
        }
        return new GeminiRequestWire.GenerationConfig(
                sampling.temperature(),
                sampling.topP(),
                reply.maxTokens(),
                sampling.stop(),
                // Gemini's seed is 32 bits; the low bits keep a long seed just as repeatable.
                sampling.seed() == null ? null : sampling.seed().intValue(),
                sampling.presencePenalty(),
                sampling.frequencyPenalty(),
                wantsJson ? "application/json" : null,
                schema,
                reply.reasoningEffort() == null ? null
                        : new GeminiRequestWire.ThinkingConfig(ReasoningBudget.of(reply.reasoningEffort(), PROTOCOL)));
    }

    private static GeminiRequestWire.ToolConfig toolConfig(ToolChoice choice) {
        if (choice == null) {
            return null;
        }
        GeminiRequestWire.FunctionCallingConfig config = switch (choice.mode()) {
            case AUTO -> new GeminiRequestWire.FunctionCallingConfig("AUTO", null);
            case NONE -> new GeminiRequestWire.FunctionCallingConfig("NONE", null);
            case REQUIRED -> new GeminiRequestWire.FunctionCallingConfig("ANY", null);
            case FUNCTION -> new GeminiRequestWire.FunctionCallingConfig("ANY", List.of(choice.function()));
        };
        return new GeminiRequestWire.ToolConfig(config);
    }
}
