package dev.sluice.gateway.provider.http;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

import dev.sluice.gateway.llm.ChatChunk;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import reactor.core.publisher.Flux;

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
        Flux<DataBuffer> body = Flux.range(0, (wire.length + piece - 1) / piece)
                .map(i -> DefaultDataBufferFactory.sharedInstance.wrap(
                        Arrays.copyOfRange(wire, i * piece, Math.min(wire.length, (i + 1) * piece))));
        return EventStreamDecoder.decode(body, readers);
    }

    /** What a subscriber sees, errors by type and message, so runs can be compared. */
    public static List<String> signals(Flux<ChatChunk> chunks) {
        return chunks.map(Object::toString)
                .onErrorResume(e -> Flux.just(e.getClass().getSimpleName() + ": " + e.getMessage()))
                .collectList()
                .block();
    }

    /** However the network cuts the bytes, multi-byte characters and line ends included, the chunks are the same. */
    public static void assertCutsChangeNothing(String name, Supplier<? extends EventReader> readers) {
        byte[] wire = fixture(name);
        List<String> whole = signals(decode(wire, readers));
        for (int piece = 1; piece <= 97; piece++) {
            assertThat(signals(decode(wire, piece, readers)))
                    .as("%s read %d bytes at a time", name, piece).isEqualTo(whole);
        }
    }
}
