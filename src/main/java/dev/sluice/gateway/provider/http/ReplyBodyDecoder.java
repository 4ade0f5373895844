package dev.sluice.gateway.provider.http;

import java.util.List;
import java.util.function.Supplier;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.provider.UpstreamException.StreamBroken;
import io.netty.buffer.ByteBuf;
import reactor.core.publisher.Flux;

/**
 * Reads one whole JSON reply, the body of a call that was not streamed, into the same neutral chunks as a stream:
 * the protocol's {@link EventReader} reads the body as one payload (OpenAI's {@code chat.completion}, Anthropic's
 * {@code message}, Gemini's {@code GenerateContentResponse}), so the text comes as one delta, each tool call as one,
 * then the finish and the usage. The body is gathered in one array and parsed once, at its end.
 * <p>
 * A body that is cut (the connection lost, JSON that stops short), holds an error or never says the reply
 * finished fails with {@link StreamBroken} and yields no chunk at all: nothing of it has reached the caller, so
 * routing may still retry it elsewhere.
 */
final class ReplyBodyDecoder {

    /**
     * The longest reply body read: four times the gateway's default reply limit, for the JSON around the text and
     * its escapes. Longer means a broken or hostile upstream.
     */
    static final int MAX_BODY_BYTES = 4 << 20;

    private ReplyBodyDecoder() {
    }

    /**
     * The chunks of one reply body, read by a fresh reader from {@code readers}.
     *
     * @param announced the body's announced length, 0 when unknown
     */
    static Flux<ChatChunk> decode(Flux<ByteBuf> body, int announced, Supplier<? extends EventReader> readers) {
        return Flux.defer(() -> {
            BodyBytes bytes = new BodyBytes(MAX_BODY_BYTES, announced);
            return body.doOnNext(buffer -> {
                        bytes.appendUntilFull(buffer);
                        if (bytes.cut()) {
                            throw new StreamBroken("upstream sent a reply longer than " + MAX_BODY_BYTES + " bytes");
                        }
                    })
                    .thenMany(Flux.defer(() -> Flux.fromIterable(read(bytes.array(), 0, bytes.length(), readers.get()))));
        });
    }

    /** The chunks of a whole reply body, usage last. */
    static List<ChatChunk> read(byte[] body, int offset, int length, EventReader reader) {
        if (length == 0) {
            throw new StreamBroken("upstream sent an empty reply");
        }
        ChunkSink reply = new ChunkSink();
        reader.read(body, offset, length, reply);
        if (!reply.finished()) {
            throw new StreamBroken("upstream sent a reply that never finished");
        }
        return reply.takeWithUsage();
    }
}
