package dev.sluice.gateway.provider.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.sluice.gateway.llm.ChatChunk;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;

/** Decoding recorded wire fixtures in tests, as the network might deliver them. */
public final class EventStreams {

    private EventStreams() {
    }

    /** A test resource's bytes, e.g. {@code /provider/anthropic/text-stream.sse}. */
    public static byte[] fixture(String path) {
        try (InputStream in = EventStreams.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + path);
            }
            return in.readAllBytes();
        }
        catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The wire in one network read. */
    public static Flux<ChatChunk> decode(byte[] wire, Supplier<? extends EventReader> readers) {
        return decode(wire, wire.length, readers);
    }

    /** The wire as the network might deliver it: {@code piece} bytes per read. */
    public static Flux<ChatChunk> decode(byte[] wire, int piece, Supplier<? extends EventReader> readers) {
        return EventStreamDecoder.decode(reads(wire, piece, buffer -> { }), readers);
    }

    /** The wire as a slow upstream sends it: each event (up to its blank line) in a network read of its own. */
    public static Flux<ChatChunk> decodeEachEventAlone(byte[] wire, Supplier<? extends EventReader> readers) {
        String text = new String(wire, StandardCharsets.UTF_8);
        List<byte[]> events = new ArrayList<>();
        for (int start = 0; start < text.length(); ) {
            int end = text.indexOf("\n\n", start);
            end = end < 0 ? text.length() : end + 2;
            events.add(text.substring(start, end).getBytes(StandardCharsets.UTF_8));
            start = end;
        }
        return EventStreamDecoder.decode(Flux.fromIterable(events).map(Unpooled::wrappedBuffer), readers);
    }

    /**
     * The wire as Reactor Netty delivers it: {@code piece} bytes per read, in direct buffers that stay the
     * transport's, each released as soon as the subscriber's {@code onNext} returns (or the read is
     * cancelled). {@code givenBack} sees each buffer just before that release.
     */
    public static Flux<ByteBuf> reads(byte[] wire, int piece, Consumer<ByteBuf> givenBack) {
        return Flux.range(0, (wire.length + piece - 1) / piece)
                .concatMap(i -> {
                    ByteBuf read = Unpooled.directBuffer(piece)
                            .writeBytes(wire, i * piece, Math.min(piece, wire.length - i * piece));
                    return Mono.just(read).doFinally(signal -> {
                        givenBack.accept(read);
                        read.release();
                    });
                }, 0);
    }

    /**
     * What a subscriber sees, errors by type and message, so runs can be compared: consecutive text deltas joined,
     * as how the text is cut into chunks follows the network's reads.
     */
    public static List<String> signals(Flux<ChatChunk> chunks) {
        List<Object> seen = chunks.<Object>map(chunk -> chunk)
                .onErrorResume(e -> Flux.just(e.getClass().getSimpleName() + ": " + e.getMessage()))
                .collectList()
                .block();
        List<String> signals = new ArrayList<>();
        StringBuilder text = null;
        for (Object signal : seen) {
            if (signal instanceof ChatChunk.TextDelta delta) {
                text = text == null ? new StringBuilder(delta.text()) : text.append(delta.text());
                continue;
            }
            if (text != null) {
                signals.add(new ChatChunk.TextDelta(text.toString()).toString());
                text = null;
            }
            signals.add(signal.toString());
        }
        if (text != null) {
            signals.add(new ChatChunk.TextDelta(text.toString()).toString());
        }
        return signals;
    }

    /**
     * However the network cuts the bytes, multi-byte characters and line ends included, the chunks are the same
     * (the text in them too, cut where the reads end).
     */
    public static void assertCutsChangeNothing(String name, Supplier<? extends EventReader> readers) {
        byte[] wire = fixture(name);
        List<String> whole = signals(decode(wire, readers));
        for (int piece = 1; piece <= 97; piece++) {
            assertThat(signals(decode(wire, piece, readers)))
                    .as("%s read %d bytes at a time", name, piece).isEqualTo(whole);
        }
    }
}
