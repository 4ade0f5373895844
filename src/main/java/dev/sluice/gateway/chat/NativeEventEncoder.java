package dev.sluice.gateway.chat;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatReply;
import dev.sluice.gateway.llm.FinishReason;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.sluice.gateway.conversation.Turn;
import dev.sluice.gateway.web.ApiErrorHandler;
import dev.sluice.gateway.web.GatewayException;
import org.springframework.http.codec.ServerSentEvent;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes one reply as the native API's SSE events: {@code token}, {@code usage}, {@code done}, or
 * {@code error}. One encoder per reply; it remembers the finish reason for the {@code done} event.
 * <p>
 * {@code done} (and the {@code stream:false} reply) says whether the turn will be stored: {@code stored: false}
 * when the history buffer refused it, and then {@code message_id} is {@code null}, as is {@code conversation_id}
 * for a new conversation that will not exist.
 */
final class NativeEventEncoder {

    private final JsonMapper json;
    private final Turn turn;
    private final Tally tally;
    private FinishReason finishReason = FinishReason.STOP;

    NativeEventEncoder(JsonMapper json, Turn turn, Tally tally) {
        this.json = json;
        this.turn = turn;
        this.tally = tally;
    }

    /** The event for one chunk, or {@code null} for none (the finish reason waits for {@code done}). */
    ServerSentEvent<String> encode(ChatChunk chunk) {
        if (chunk instanceof ChatChunk.TextDelta text) {
            return event("token", Map.of("text", text.text()));
        }
        if (chunk instanceof ChatChunk.Usage usage) {
            return event("usage", usage(usage));
        }
        if (chunk instanceof ChatChunk.Finish finish) {
            finishReason = finish.reason();
        }
        return null;
    }

    ServerSentEvent<String> done() {
        Map<String, Object> done = new LinkedHashMap<>();
        putReceipt(done);
        done.put("cached", tally.cached());
        done.put("finish_reason", finishReason.wireName());
        done.put("provider", provider());
        return event("done", done);
    }

    ServerSentEvent<String> error(Throwable failure) {
        GatewayException error = ApiErrorHandler.classify(failure);
        return event("error", Map.of("code", error.code().code(), "message", error.getMessage()));
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

    private ServerSentEvent<String> event(String name, Object data) {
        return ServerSentEvent.builder(json.writeValueAsString(data)).event(name).build();
    }
}
