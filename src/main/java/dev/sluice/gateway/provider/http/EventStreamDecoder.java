package dev.sluice.gateway.provider.http;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.provider.UpstreamException.StreamBroken;
import io.netty.buffer.ByteBuf;
import reactor.core.publisher.Flux;

/**
 * Reads one streamed body of server-sent events into neutral chunks: the framing, which every wire
 * protocol shares, while an {@link EventReader} says what each payload means and a {@link ChunkSink}
 * keeps the chunks to their contract. One instance per stream: it holds a line cut in two by the
 * network and how the stream stands.
 * <p>
 * Works on bytes: each network read is copied once into a small array and split at line ends, and each
 * {@code data:} payload is handed to the reader as a range of that array, to be parsed in place.
 * OpenAI-compatible servers, Anthropic and Gemini all put each payload on one {@code data:} line, so every
 * such line is read as it arrives; {@code event:}/{@code id:} fields (the payloads name their own type),
 * comments (keep-alives) and blank lines carry nothing.
 */
public final class EventStreamDecoder {

    /** The longest line held while waiting for its end; longer means a broken or hostile upstream. */
    static final int MAX_LINE_BYTES = 1 << 20;

    /** Arrays grown past this for a burst of events are dropped once the burst is read. */
    private static final int KEPT_ARRAY_BYTES = 4096;

    private static final byte[] DATA = "data:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EMPTY = new byte[0];

    private final EventReader reader;
    private final ChunkSink reply = new ChunkSink();
    private byte[] bytes = EMPTY;
    private int length;
    /** Why the stream broke; once set, nothing more is decoded. */
    private StreamBroken broken;
    /** Why the body could not be read to its end (connection lost, read timeout...). */
    private Throwable transportFailure;

    EventStreamDecoder(EventReader reader) {
        this.reader = reader;
    }

    /**
     * The chunks of one response body, read by a fresh reader from {@code readers}. Each buffer is read in
     * the call that hands it over and never kept: the buffers stay their publisher's, as Reactor Netty's
     * do (it releases each one as soon as {@code onNext} returns), so no network memory waits in a queue.
     * However the stream breaks (an error event, bad JSON, the connection lost), it fails only after the
     * chunks decoded before the break; a body that ends before the reply finished fails with
     * {@link StreamBroken}. Transport failures come out as they are, for the caller to type.
     */
    public static Flux<ChatChunk> decode(Flux<ByteBuf> body, Supplier<? extends EventReader> readers) {
        return Flux.defer(() -> {
            EventStreamDecoder decoder = new EventStreamDecoder(readers.get());
            return body.<List<ChatChunk>>handle((buffer, sink) -> {
                        List<ChatChunk> chunks = decoder.decode(buffer);
                        if (!chunks.isEmpty()) {
                            sink.next(chunks);
                        }
                        if (decoder.broken != null) {
                            sink.complete();
                        }
                    })
                    // Held back until the chunks already queued are out: concatMapIterable drops its
                    // queue on an error, which would lose the last tokens before a dropped connection.
                    .onErrorResume(failure -> {
                        decoder.transportFailure = failure;
                        return Flux.empty();
                    })
                    .concatMapIterable(Function.identity())
                    .concatWith(Flux.defer(decoder::end));
        });
    }

    /** Decodes one network read: copies its readable bytes once, and leaves the buffer to its owner. */
    List<ChatChunk> decode(ByteBuf buffer) {
        if (broken != null) {
            return List.of();
        }
        int start = length;
        int count = buffer.readableBytes();
        ensureRoom(count);
        buffer.readBytes(bytes, length, count);
        length += count;
        return decodeLines(start);
    }

    /**
     * What is left once the body has ended or decoding stopped: the usage, or the failure if the stream
     * broke, the connection failed or the reply never finished.
     */
    Flux<ChatChunk> end() {
        if (broken != null) {
            return Flux.error(broken);
        }
        if (transportFailure != null) {
            return Flux.error(transportFailure);
        }
        if (!reply.finished()) {
            return Flux.error(new StreamBroken("upstream closed the stream before finishing"));
        }
        ChatChunk.Usage usage = reply.usage();
        return usage == null ? Flux.empty() : Flux.just(usage);
    }

    private void ensureRoom(int count) {
        int needed = length + count;
        if (needed > bytes.length) {
            byte[] grown = new byte[Math.max(needed, Math.max(512, bytes.length * 2))];
            System.arraycopy(bytes, 0, grown, 0, length);
            bytes = grown;
        }
    }

    /**
     * Decodes every complete line, the new bytes starting at {@code scanFrom}, and keeps the unfinished
     * tail. A failure is kept for {@link #end()} rather than thrown, so the chunks before it still count.
     */
    private List<ChatChunk> decodeLines(int scanFrom) {
        int lineStart = 0;
        try {
            for (int i = scanFrom; i < length; i++) {
                if (bytes[i] == '\n') {
                    int lineEnd = i > lineStart && bytes[i - 1] == '\r' ? i - 1 : i;
                    reply.mark();
                    line(lineStart, lineEnd);
                    lineStart = i + 1;
                }
            }
        }
        catch (StreamBroken e) {
            // Nothing of the payload that broke the stream counts, even what was read before the break.
            reply.rollback();
            broken = e;
        }
        int rest = length - lineStart;
        if (broken == null && rest > MAX_LINE_BYTES) {
            broken = new StreamBroken("upstream sent an event longer than " + MAX_LINE_BYTES + " bytes");
        }
        if (broken != null) {
            bytes = EMPTY;
            length = 0;
            return reply.take();
        }
        if (rest == 0 && bytes.length > KEPT_ARRAY_BYTES) {
            bytes = EMPTY;
        }
        else if (lineStart > 0) {
            System.arraycopy(bytes, lineStart, bytes, 0, rest);
        }
        length = rest;
        return reply.take();
    }

    private void line(int start, int end) {
        // Whatever follows the reply's own end is ignored; the body's end completes the stream, which lets
        // the connection go back to the pool instead of being cut.
        if (reader.complete() || !startsWithData(start, end)) {
            return;
        }
        int payload = start + DATA.length;
        if (payload < end && bytes[payload] == ' ') {
            payload++;
        }
        if (payload < end) {
            reader.read(bytes, payload, end - payload, reply);
        }
    }

    private boolean startsWithData(int start, int end) {
        if (end - start < DATA.length) {
            return false;
        }
        for (int i = 0; i < DATA.length; i++) {
            if (bytes[start + i] != DATA[i]) {
                return false;
            }
        }
        return true;
    }
}
