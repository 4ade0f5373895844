package dev.sluice.gateway.provider.openai;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.ContentPart;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.llm.ToolChoice;
import dev.sluice.gateway.llm.ToolDefinition;
import dev.sluice.gateway.provider.UpstreamCall;

/**
 * Writes a neutral request as a Chat Completions request body. The gateway always streams from the
 * upstream, also for callers that did not ask to stream, and always asks for usage so quotas settle to
 * the real token count. A message of several parts (texts, images) is an array of content parts, inline images as
 * {@code data:} URLs.
 */
final class OpenAiRequestEncoder {

    private static final OpenAiRequestWire.StreamOptions INCLUDE_USAGE = new OpenAiRequestWire.StreamOptions(true);

    private OpenAiRequestEncoder() {
    }

    static OpenAiRequestWire.Request wire(UpstreamCall call) {
        ChatRequest request = call.request();
        List<OpenAiRequestWire.Message> messages = new ArrayList<>(request.messages().size());
        for (ChatMessage message : request.messages()) {
            messages.add(message(message));
        }
        // OpenAI answers 400 to tool_choice or parallel_tool_calls without tools; they mean nothing then.
        boolean hasTools = !request.tools().isEmpty();
        return new OpenAiRequestWire.Request(
                call.model(),
                messages,
                request.temperature(),
                request.topP(),
                request.maxTokens(),
                request.stop(),
                request.seed(),
                request.presencePenalty(),
                request.frequencyPenalty(),
                request.tools().stream().map(OpenAiRequestEncoder::tool).toList(),
                hasTools ? toolChoice(request.toolChoice()) : null,
                hasTools ? request.parallelToolCalls() : null,
                request.responseFormat() == null ? null
                        : new OpenAiRequestWire.ResponseFormat(request.responseFormat().type(), request.responseFormat().jsonSchema()),
                request.user(),
                true,
                INCLUDE_USAGE);
    }

    private static OpenAiRequestWire.Message message(ChatMessage message) {
        List<OpenAiRequestWire.ToolCall> calls = new ArrayList<>(message.toolCalls().size());
        for (ToolCall call : message.toolCalls()) {
            calls.add(new OpenAiRequestWire.ToolCall(call.id(), "function", new OpenAiRequestWire.FunctionCall(call.name(), call.arguments())));
        }
        Object content = message.hasParts() ? parts(message.parts()) : message.content();
        return new OpenAiRequestWire.Message(message.role().wireName(), content, calls, message.toolCallId(), message.name());
    }

    private static List<OpenAiRequestWire.Part> parts(List<ContentPart> parts) {
        List<OpenAiRequestWire.Part> wire = new ArrayList<>(parts.size());
        for (ContentPart part : parts) {
            if (part instanceof ContentPart.Text text) {
                wire.add(OpenAiRequestWire.Part.text(text.text()));
            }
            else if (part instanceof ContentPart.Image image) {
                wire.add(OpenAiRequestWire.Part.image(image.isInline()
                        ? "data:" + image.mediaType() + ";base64," + image.data() : image.url()));
            }
        }
        return wire;
    }

    private static OpenAiRequestWire.Tool tool(ToolDefinition tool) {
        return new OpenAiRequestWire.Tool("function",
                new OpenAiRequestWire.FunctionDefinition(tool.name(), tool.description(), tool.parameters(), tool.strict()));
    }

    /** A mode is a plain string ({@code "auto"}); one named function is an object. */
    private static Object toolChoice(ToolChoice choice) {
        if (choice == null) {
            return null;
        }
        if (choice.mode() == ToolChoice.Mode.FUNCTION) {
            return new OpenAiRequestWire.NamedToolChoice("function", new OpenAiRequestWire.FunctionName(choice.function()));
        }
        return choice.mode().name().toLowerCase(Locale.ROOT);
    }
}
