package dev.sluice.gateway.provider.gemini;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.ContentPart;
import dev.sluice.gateway.llm.ResponseFormat;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.llm.ToolChoice;
import dev.sluice.gateway.llm.ToolDefinition;
import dev.sluice.gateway.provider.UpstreamCall;
import dev.sluice.gateway.provider.UpstreamException;
import dev.sluice.gateway.provider.http.Conversation;
import dev.sluice.gateway.provider.http.ToolArguments;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes a neutral request as a {@code generateContent} request body. System messages become the
 * {@code systemInstruction}; a message's parts are text and inline image parts; assistant turns are {@code model}
 * turns whose tool calls are {@code functionCall} parts; tool results are user turns of {@code functionResponse}
 * parts, named after the call they answer (Gemini matches them by name, not id); see {@link Conversation}.
 */
final class GeminiRequestEncoder {

    private final JsonMapper json;

    GeminiRequestEncoder(JsonMapper json) {
        this.json = json;
    }

    GeminiRequestWire.Request wire(UpstreamCall call) {
        ChatRequest request = call.request();
        Map<String, String> functionByCallId = new HashMap<>();
        Conversation<GeminiRequestWire.Part> conversation = Conversation.of(request.messages(),
                message -> parts(message, functionByCallId));
        List<GeminiRequestWire.Content> contents = new ArrayList<>(conversation.turns().size());
        for (Conversation.Turn<GeminiRequestWire.Part> turn : conversation.turns()) {
            contents.add(new GeminiRequestWire.Content(turn.assistant() ? "model" : "user", turn.parts()));
        }
        List<ToolDefinition> tools = request.tools();
        return new GeminiRequestWire.Request(
                contents,
                conversation.system().isEmpty() ? null : new GeminiRequestWire.Content(null,
                        conversation.system().stream().map(GeminiRequestWire.Part::text).toList()),
                generationConfig(request),
                tools.isEmpty() ? List.of() : List.of(new GeminiRequestWire.Tool(tools.stream()
                        .map(tool -> new GeminiRequestWire.FunctionDeclaration(tool.name(), tool.description(), tool.parameters()))
                        .toList())),
                tools.isEmpty() ? null : toolConfig(request.toolChoice()));
    }

    /** Gemini refuses empty parts, so an empty message has none and is left out. */
    private List<GeminiRequestWire.Part> parts(ChatMessage message, Map<String, String> functionByCallId) {
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
        if (message.hasParts()) {
            for (ContentPart part : message.parts()) {
                if (part instanceof ContentPart.Text text && !text.text().isEmpty()) {
                    parts.add(GeminiRequestWire.Part.text(text.text()));
                }
                else if (part instanceof ContentPart.Image image) {
                    parts.add(inlineImage(image));
                }
            }
        }
        else if (message.content() != null && !message.content().isEmpty()) {
            parts.add(GeminiRequestWire.Part.text(message.content()));
        }
        for (ToolCall call : message.toolCalls()) {
            functionByCallId.put(call.id(), call.name());
            parts.add(GeminiRequestWire.Part.functionCall(
                    new GeminiRequestWire.FunctionCall(call.name(), ToolArguments.object(json, call))));
        }
        return parts;
    }

    /** Images go to Gemini inline only: which URLs its {@code fileData} reads depends on the model and the URL. */
    private static GeminiRequestWire.Part inlineImage(ContentPart.Image image) {
        if (!image.isInline()) {
            throw new UpstreamException.Rejected(400, "Gemini takes images inline only; send the image's bytes"
                    + " (base64) rather than its URL");
        }
        return GeminiRequestWire.Part.inline(image.mediaType(), image.data());
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
        ResponseFormat format = request.responseFormat();
        boolean wantsJson = format != null && !"text".equals(format.type());
        JsonNode schema = wantsJson && "json_schema".equals(format.type()) && format.jsonSchema() != null
                && format.jsonSchema().path("schema").isObject() ? format.jsonSchema().path("schema") : null;
        if (request.temperature() == null && request.topP() == null && request.maxTokens() == null
                && request.stop().isEmpty() && request.seed() == null && request.presencePenalty() == null
                && request.frequencyPenalty() == null && !wantsJson) {
            return null;
        }
        return new GeminiRequestWire.GenerationConfig(
                request.temperature(),
                request.topP(),
                request.maxTokens(),
                request.stop(),
                // Gemini's seed is 32 bits; the low bits keep a long seed just as repeatable.
                request.seed() == null ? null : request.seed().intValue(),
                request.presencePenalty(),
                request.frequencyPenalty(),
                wantsJson ? "application/json" : null,
                schema);
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
