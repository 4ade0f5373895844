package dev.sluice.gateway.chat;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.JsonFields;

import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import reactor.core.publisher.Flux;

/**
 * Stops a reply that grows past {@code sluice.chat.max-reply-bytes} of text, tool-call arguments and extras
 * (reasoning, logprobs, other choices, as the upstream wrote them), in UTF-8:
 * the stream ends with a {@link ErrorCode#REPLY_TOO_LARGE} error and the upstream call is cancelled. It runs
 * on the router's output, ahead of the cache, so a single flight's replay buffer holds no more than this either.
 */
final class ReplySizeLimit {

    private ReplySizeLimit() {
    }

    static Flux<ChatChunk> apply(Flux<ChatChunk> reply, long maxBytes, String model) {
        return Flux.defer(() -> {
            Count count = new Count();
            return reply.handle((chunk, sink) -> {
                count.bytes += bytes(chunk);
                if (count.bytes > maxBytes) {
                    sink.error(new GatewayException(ErrorCode.REPLY_TOO_LARGE, "The reply from '" + model
                            + "' grew past the gateway's limit of " + maxBytes + " bytes and was stopped"));
                }
                else {
                    sink.next(chunk);
                }
            });
        });
    }

    private static long bytes(ChatChunk chunk) {
        if (chunk instanceof ChatChunk.TextDelta text) {
            return utf8Length(text.text());
        }
        if (chunk instanceof ChatChunk.ToolCallDelta call) {
            return utf8Length(call.argumentsDelta()) + utf8Length(call.name());
        }
        if (chunk instanceof ChatChunk.Extra extra) {
            return utf8Length(extra.reply()) + utf8Length(extra.choiceFields()) + utf8Length(extra.message());
        }
        return 0;
    }

    private static long utf8Length(JsonFields fields) {
        long bytes = 0;
        for (JsonFields.Field field : fields.fields()) {
            bytes += utf8Length(field.name()) + utf8Length(field.json());
        }
        return bytes;
    }

    /** Counts without encoding: one to four bytes a code point, two chars for the four-byte ones. */
    private static long utf8Length(String text) {
        if (text == null) {
            return 0;
        }
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
        }
        return bytes;
    }

    // Signals of one stream are serialised, so a plain field is safe here.
    private static final class Count {
        long bytes;
    }
}
