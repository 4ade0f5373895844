package dev.sluice.gateway.provider.openai;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.ContentPart;
import dev.sluice.gateway.llm.JsonFields;
import dev.sluice.gateway.llm.ReplyOptions;
import dev.sluice.gateway.llm.ResponseFormat;
import dev.sluice.gateway.llm.Sampling;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.llm.ToolChoice;
import dev.sluice.gateway.llm.ToolDefinition;
import dev.sluice.gateway.llm.ToolUse;
import dev.sluice.gateway.provider.UpstreamCall;
import tools.jackson.databind.util.RawValue;

/**
 * Writes a neutral request as a Chat Completions request body: streamed, with the usage asked for so that quotas
 * settle to the real token count, or, for a {@linkplain UpstreamCall#whole() whole} call, not streamed (a whole
 * reply always says its usage). A message of several parts (texts, images) is an array of content parts, inline
 * images as {@code data:} URLs. What the caller sent beyond the neutral model (parameters, message fields, parts of
 * other kinds) goes back as it came, so that this protocol loses nothing on its way through.
 * <p>
 * The reply cap goes under the name the caller gave it ({@code max_tokens} or {@code max_completion_tokens}); a cap
 * the caller did not name (a quota's, or one from an API with one name for it) under the provider's
 * {@code reply-cap-parameter}.
 */
final class OpenAiRequestEncoder {

    private static final OpenAiRequestWire.StreamOptions INCLUDE_USAGE = new OpenAiRequestWire.StreamOptions(true);

    private final ReplyOptions.CapName unnamedCap;

    OpenAiRequestEncoder(ReplyOptions.CapName unnamedCap) {
        this.unnamedCap = unnamedCap;
    }

    OpenAiRequestWire.Request wire(UpstreamCall call) {
        ChatRequest request = call.request();
        List<OpenAiRequestWire.Message> messages = new ArrayList<>(request.messages().size());
        for (ChatMessage message : request.messages()) {
            messages.add(message(message));
        }
        Sampling sampling = request.sampling();
        ReplyOptions reply = request.reply();
        ToolUse tools = request.toolUse();
        ReplyOptions.CapName capName = reply.capName() != null ? reply.capName() : unnamedCap;
        boolean completionTokens = capName == ReplyOptions.CapName.MAX_COMPLETION_TOKENS;
        ResponseFormat format = reply.format();
        // OpenAI answers 400 to tool_choice or parallel_tool_calls without tools; they mean nothing then.
        boolean hasTools = !tools.isEmpty();
        return new OpenAiRequestWire.Request(
                call.model(),
                messages,
                sampling.temperature(),
                sampling.topP(),
                completionTokens ? null : reply.maxTokens(),
                completionTokens ? reply.maxTokens() : null,
                reply.choices(),
                reply.reasoningEffort(),
                sampling.stop(),
                sampling.seed(),
                sampling.presencePenalty(),
                sampling.frequencyPenalty(),
                tools.definitions().stream().map(OpenAiRequestEncoder::tool).toList(),
                hasTools ? toolChoice(tools.choice()) : null,
                hasTools ? tools.parallelCalls() : null,
                format == null ? null : new OpenAiRequestWire.ResponseFormat(format.type(), format.jsonSchema()),
                request.user(),
                !call.whole(),
                call.whole() ? null : INCLUDE_USAGE,
                raw(request.passThrough()));
    }

    private static OpenAiRequestWire.Message message(ChatMessage message) {
        List<OpenAiRequestWire.ToolCall> calls = new ArrayList<>(message.toolCalls().size());
        for (ToolCall call : message.toolCalls()) {
            calls.add(new OpenAiRequestWire.ToolCall(call.id(), "function", new OpenAiRequestWire.FunctionCall(call.name(), call.arguments())));
        }
        Object content = message.hasParts() ? parts(message.parts()) : message.content();
        return new OpenAiRequestWire.Message(message.role().wireName(), content, calls, message.toolCallId(),
                message.name(), raw(message.extra()));
    }

    private static List<Object> parts(List<ContentPart> parts) {
        List<Object> wire = new ArrayList<>(parts.size());
        for (ContentPart part : parts) {
            if (part instanceof ContentPart.Text text) {
                wire.add(OpenAiRequestWire.Part.text(text.text()));
            }
            else if (part instanceof ContentPart.Image image) {
                wire.add(OpenAiRequestWire.Part.image(image.isInline()
                        ? "data:" + image.mediaType() + ";base64," + image.data() : image.url(), image.detail()));
            }
            else if (part instanceof ContentPart.Raw raw) {
                wire.add(new RawValue(raw.json()));
            }
        }
        return wire;
    }

    /** Fields as they came, to be written verbatim; none for nearly every request. */
    private static Map<String, RawValue> raw(JsonFields fields) {
        if (fields.isEmpty()) {
            return Map.of();
        }
        Map<String, RawValue> raw = new LinkedHashMap<>();
        for (JsonFields.Field field : fields.fields()) {
            raw.put(field.name(), new RawValue(field.json()));
        }
        return raw;
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
