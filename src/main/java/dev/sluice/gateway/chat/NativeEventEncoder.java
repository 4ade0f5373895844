package dev.sluice.gateway.chat;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatReply;
import dev.sluice.gateway.llm.FinishReason;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.sluice.gateway.conversation.Turn;
import dev.sluice.gateway.web.ApiErrorHandler;
import dev.sluice.gateway.web.GatewayException;

/**
 * Writes one reply as the native API's SSE events: {@code token}, {@code usage}, {@code done}, or
 * {@code error}. One encoder per reply; it remembers the finish reason for the {@code done} event. A token's
 * JSON is written token by token, as it is the event of every chunk; the others are maps, shared with the
 * {@code stream:false} reply.
 * <p>
 * {@code done} (and the {@code stream:false} reply) says whether the turn will be stored: {@code stored: false}
 * when the history buffer refused it, and then {@code message_id} is {@code null}, as is {@code conversation_id}
 * for a new conversation that will not exist.
 */
final class NativeEventEncoder implements EventEncoder {

    private static final byte[] TOKEN = EventWriter.eventLine("token");
    private static final byte[] USAGE = EventWriter.eventLine("usage");
    private static final byte[] DONE = EventWriter.eventLine("done");
    private static final byte[] ERROR = EventWriter.eventLine("error");

    private final Turn turn;
    private final Tally tally;
    private FinishReason finishReason = FinishReason.STOP;

    NativeEventEncoder(Turn turn, Tally tally) {
        this.turn = turn;
        this.tally = tally;
    }

    /** A token or usage event; the finish reason waits for {@code done}. */
    @Override
    public void chunk(ChatChunk chunk, EventWriter out) {
        if (chunk instanceof ChatChunk.TextDelta text) {
            out.event(TOKEN, json -> {
                json.writeStartObject();
                json.writeStringProperty("text", text.text());
                json.writeEndObject();
            });
        }
        else if (chunk instanceof ChatChunk.Usage usage) {
            out.valueEvent(USAGE, usage(usage));
        }
        else if (chunk instanceof ChatChunk.Finish finish) {
            finishReason = finish.reason();
        }
    }

    @Override
    public void complete(EventWriter out) {
        Map<String, Object> done = new LinkedHashMap<>();
        putReceipt(done);
        done.put("cached", tally.cached());
        done.put("finish_reason", finishReason.wireName());
        done.put("provider", provider());
        out.valueEvent(DONE, done);
    }

    @Override
    public void failed(Throwable failure, EventWriter out) {
        GatewayException error = ApiErrorHandler.classify(failure);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", error.code().code());
        body.put("message", error.getMessage());
        out.valueEvent(ERROR, body);
    }

    /** The whole reply as one JSON object, for {@code stream:false}. */
    Map<String, Object> reply(ChatReply reply, String model) {
        Map<String, Object> body = new LinkedHashMap<>();
        putReceipt(body);
        body.put("model", model);
        body.put("provider", provider());
        body.put("text", reply.text());
        body.put("finish_reason", reply.finishReason().wireName());
        body.put("usage", reply.usage() == null ? null : usage(reply.usage()));
        body.put("cached", tally.cached());
        return body;
    }

    /** Read when the reply has ended, which is when the history buffer has taken its rows or not. */
    private void putReceipt(Map<String, Object> body) {
        Turn.Receipt receipt = turn.receipt();
        body.put("conversation_id", receipt.conversationId() == null ? null : receipt.conversationId().toString());
        body.put("message_id", receipt.messageId() == null ? null : receipt.messageId().toString());
        body.put("stored", receipt.stored());
    }

    /** Who made the reply: the provider this request called, or the one behind a cached or shared reply. */
    private String provider() {
        return tally.provider();
    }

    private static Map<String, Object> usage(ChatChunk.Usage usage) {
        return Map.of("prompt_tokens", usage.promptTokens(), "completion_tokens", usage.completionTokens(),
                "total_tokens", usage.totalTokens());
    }
}
