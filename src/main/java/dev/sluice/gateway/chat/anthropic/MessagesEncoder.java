package dev.sluice.gateway.chat.anthropic;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.sluice.gateway.chat.EventEncoder;
import dev.sluice.gateway.chat.EventWriter;
import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatReply;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.TokenEstimate;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.web.ApiErrorHandler;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import dev.sluice.gateway.web.Ids;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes one reply in Anthropic's format: the events of a Messages stream, or one {@code message}. One encoder per
 * reply: it holds the message's id, which content block is open, and the stop reason until usage comes.
 * <p>
 * A stream is {@code message_start} with the first chunk, then one content block at a time: text deltas in a
 * {@code text} block, each tool call in a {@code tool_use} block of its own whose arguments arrive as
 * {@code input_json_delta}s. The neutral finish closes the open block; usage, which the neutral stream sends after
 * it, goes into {@code message_delta} with the stop reason, then {@code message_stop}. A failure after the first
 * event is an {@code error} event and nothing after it, so that SDKs do not take the reply for a complete one.
 * <p>
 * Token counts: {@code message_start} carries the gateway's estimate of the input, as the provider's count comes only
 * at the end; {@code message_delta} carries the provider's counts (input and output), or estimates of both when the
 * provider reported none. A stop at one of the request's stop sequences is {@code stop_sequence}, naming it, when
 * the provider said which matched (Anthropic does, and vLLM); otherwise, and for OpenAI, whose protocol does not say,
 * a stop is {@code end_turn} and {@code stop_sequence} is null. Fragments of one tool call must come together, as every
 * provider sends them: one for an earlier, closed call ends the stream with an error rather than a wrong block.
 */
final class MessagesEncoder implements EventEncoder {

    private static final byte[] MESSAGE_START = EventWriter.eventLine("message_start");
    private static final byte[] BLOCK_START = EventWriter.eventLine("content_block_start");
    private static final byte[] BLOCK_DELTA = EventWriter.eventLine("content_block_delta");
    private static final byte[] BLOCK_STOP = EventWriter.eventLine("content_block_stop");
    private static final byte[] MESSAGE_DELTA = EventWriter.eventLine("message_delta");
    private static final byte[] MESSAGE_STOP = EventWriter.eventLine("message_stop");
    private static final byte[] ERROR = EventWriter.eventLine("error");
    private static final byte[] MESSAGE_STOP_DATA = "{\"type\":\"message_stop\"}".getBytes(StandardCharsets.US_ASCII);
    private static final int NONE = -1;

    private final String id = "msg_" + Ids.hex();
    private final ChatRequest request;
    private final JsonMapper mapper;
    private boolean started;
    /** The index of the open content block, or {@link #NONE}. */
    private int openBlock = NONE;
    private int nextBlock;
    /** The neutral index of the tool call in the open block, or {@link #NONE} when it is text. */
    private int openCall = NONE;
    private int lastCall = NONE;
    private long outputChars;
    private FinishReason finish = FinishReason.STOP;
    private String stopSequence;
    private boolean delivered;

    /** @param request the request as read, whose model (as the caller named it) the reply names */
    MessagesEncoder(ChatRequest request, JsonMapper mapper) {
        this.request = request;
        this.mapper = mapper;
    }

    @Override
    public void chunk(ChatChunk chunk, EventWriter out) {
        if (!started) {
            started = true;
            messageStart(out);
        }
        if (chunk instanceof ChatChunk.TextDelta text) {
            text(text.text(), out);
        }
        else if (chunk instanceof ChatChunk.ToolCallDelta call) {
            toolCall(call, out);
        }
        else if (chunk instanceof ChatChunk.Finish f) {
            closeBlock(out);
            finish = f.reason();
            stopSequence = f.stopSequence();
        }
        else if (chunk instanceof ChatChunk.Usage usage) {
            messageDelta(usage.promptTokens(), usage.completionTokens(), out);
        }
    }

    @Override
    public void complete(EventWriter out) {
        if (!started) {
            started = true;
            messageStart(out);
        }
        closeBlock(out);
        if (!delivered) {
            messageDelta(TokenEstimate.input(request), TokenEstimate.ofChars(outputChars), out);
        }
        out.rawEvent(MESSAGE_STOP, MESSAGE_STOP_DATA);
    }

    @Override
    public void failed(Throwable failure, EventWriter out) {
        out.valueEvent(ERROR, ApiErrorHandler.anthropicBody(ApiErrorHandler.classify(failure), null));
    }

    /** A whole reply as one {@code message}: its text, then its tool calls. */
    MessagesWire.Message message(ChatReply reply) {
        List<MessagesWire.Block> content = new ArrayList<>(1 + reply.toolCalls().size());
        if (!reply.text().isEmpty()) {
            content.add(MessagesWire.Block.text(reply.text()));
        }
        long chars = reply.text().length();
        for (ToolCall call : reply.toolCalls()) {
            content.add(MessagesWire.Block.toolUse(toolId(call.id()), call.name(), input(call)));
            chars += length(call.arguments());
        }
        MessagesWire.Usage usage = reply.usage() != null
                ? new MessagesWire.Usage(reply.usage().promptTokens(), reply.usage().completionTokens())
                : new MessagesWire.Usage(TokenEstimate.input(request), TokenEstimate.ofChars(chars));
        return new MessagesWire.Message(id, "message", "assistant", request.model(), content,
                stopReason(reply.finishReason(), reply.stopSequence()), reply.stopSequence(), usage);
    }

    private void messageStart(EventWriter out) {
        long inputEstimate = TokenEstimate.input(request);
        out.event(MESSAGE_START, json -> {
            json.writeStartObject();
            json.writeStringProperty("type", "message_start");
            json.writeObjectPropertyStart("message");
            json.writeStringProperty("id", id);
            json.writeStringProperty("type", "message");
            json.writeStringProperty("role", "assistant");
            json.writeStringProperty("model", request.model());
            json.writeArrayPropertyStart("content");
            json.writeEndArray();
            json.writeNullProperty("stop_reason");
            json.writeNullProperty("stop_sequence");
            json.writeObjectPropertyStart("usage");
            json.writeNumberProperty("input_tokens", inputEstimate);
            json.writeNumberProperty("output_tokens", 0);
            json.writeEndObject();
            json.writeEndObject();
            json.writeEndObject();
        });
    }

    private void text(String text, EventWriter out) {
        if (text.isEmpty()) {
            return;
        }
        if (openBlock == NONE || openCall != NONE) {
            closeBlock(out);
            int index = openBlock();
            out.event(BLOCK_START, json -> {
                head(json, "content_block_start", index);
                json.writeObjectPropertyStart("content_block");
                json.writeStringProperty("type", "text");
                json.writeStringProperty("text", "");
                json.writeEndObject();
                json.writeEndObject();
            });
        }
        outputChars += text.length();
        int index = openBlock;
        out.event(BLOCK_DELTA, json -> {
            head(json, "content_block_delta", index);
            json.writeObjectPropertyStart("delta");
            json.writeStringProperty("type", "text_delta");
            json.writeStringProperty("text", text);
            json.writeEndObject();
            json.writeEndObject();
        });
    }

    private void toolCall(ChatChunk.ToolCallDelta call, EventWriter out) {
        if (call.index() != openCall) {
            if (call.index() <= lastCall) {
                throw new GatewayException(ErrorCode.STREAM_BROKEN, "The provider sent more of tool call "
                        + call.index() + " after the next one had begun, which a Messages stream cannot carry");
            }
            closeBlock(out);
            int index = openBlock();
            openCall = call.index();
            lastCall = call.index();
            String toolId = toolId(call.id());
            outputChars += length(call.name());
            out.event(BLOCK_START, json -> {
                head(json, "content_block_start", index);
                json.writeObjectPropertyStart("content_block");
                json.writeStringProperty("type", "tool_use");
                json.writeStringProperty("id", toolId);
                json.writeStringProperty("name", call.name());
                json.writeObjectPropertyStart("input");
                json.writeEndObject();
                json.writeEndObject();
                json.writeEndObject();
            });
        }
        String arguments = call.argumentsDelta();
        if (arguments == null || arguments.isEmpty()) {
            return;
        }
        outputChars += arguments.length();
        int index = openBlock;
        out.event(BLOCK_DELTA, json -> {
            head(json, "content_block_delta", index);
            json.writeObjectPropertyStart("delta");
            json.writeStringProperty("type", "input_json_delta");
            json.writeStringProperty("partial_json", arguments);
            json.writeEndObject();
            json.writeEndObject();
        });
    }

    private int openBlock() {
        openBlock = nextBlock++;
        openCall = NONE;
        return openBlock;
    }

    private void closeBlock(EventWriter out) {
        if (openBlock == NONE) {
            return;
        }
        int index = openBlock;
        openBlock = NONE;
        openCall = NONE;
        out.event(BLOCK_STOP, json -> {
            head(json, "content_block_stop", index);
            json.writeEndObject();
        });
    }

    private void messageDelta(long inputTokens, long outputTokens, EventWriter out) {
        delivered = true;
        String reason = stopReason(finish, stopSequence);
        String sequence = stopSequence;
        out.event(MESSAGE_DELTA, json -> {
            json.writeStartObject();
            json.writeStringProperty("type", "message_delta");
            json.writeObjectPropertyStart("delta");
            json.writeStringProperty("stop_reason", reason);
            json.writeStringProperty("stop_sequence", sequence);
            json.writeEndObject();
            json.writeObjectPropertyStart("usage");
            json.writeNumberProperty("input_tokens", inputTokens);
            json.writeNumberProperty("output_tokens", outputTokens);
            json.writeEndObject();
            json.writeEndObject();
        });
    }

    private static void head(JsonGenerator json, String type, int index) {
        json.writeStartObject();
        json.writeStringProperty("type", type);
        json.writeNumberProperty("index", index);
    }

    static String stopReason(FinishReason reason, String stopSequence) {
        if (stopSequence != null && reason == FinishReason.STOP) {
            return "stop_sequence";
        }
        return switch (reason) {
            case STOP -> "end_turn";
            case LENGTH -> "max_tokens";
            case TOOL_CALLS -> "tool_use";
            case CONTENT_FILTER -> "refusal";
        };
    }

    /** A provider that names no call (Gemini's have no ids) gets one of ours, for the result to answer. */
    private static String toolId(String id) {
        return id != null && !id.isEmpty() ? id : "toolu_" + Ids.hex();
    }

    /** {@code tool_use.input} must be an object: arguments that are not one make no message. */
    private JsonNode input(ToolCall call) {
        String arguments = call.arguments();
        if (arguments == null || arguments.isBlank()) {
            return mapper.createObjectNode();
        }
        try {
            JsonNode parsed = mapper.readTree(arguments);
            if (parsed.isObject()) {
                return parsed;
            }
        }
        catch (JacksonException notJson) {
            // Refused below, like any other non-object.
        }
        throw new GatewayException(ErrorCode.UPSTREAM_FAILED, "The model's arguments for tool call '" + call.name()
                + "' are not a JSON object (a reply cut at max_tokens?), which a Messages reply cannot carry");
    }

    private static long length(String text) {
        return text == null ? 0 : text.length();
    }
}
