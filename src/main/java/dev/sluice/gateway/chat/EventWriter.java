package dev.sluice.gateway.chat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * Server-sent events written straight into a buffer of the response: the {@code event:}/{@code data:} framing
 * is ours, the JSON is Jackson's, written as UTF-8 into the same buffer. The events written between two
 * {@link #take()}s share one buffer, so that they leave in one write. The bytes are those Spring's SSE writer
 * wrote: {@code event:name\n}, {@code data:payload\n\n}, {@code :comment\n\n}.
 * <p>
 * An event is written whole or not at all: one that fails half-way is taken back out of the buffer.
 * Not thread-safe: one stream's events are written on one thread at a time.
 */
public final class EventWriter {

    private static final byte[] DATA = ascii("data:");
    private static final byte[] END = ascii("\n\n");
    private static final byte[] HEARTBEAT = ascii(":keep-alive\n\n");
    /** Room for a typical event or two; the buffer grows as needed. */
    private static final int INITIAL_CAPACITY = 512;

    private final DataBufferFactory buffers;
    private final JsonMapper json;
    private final TokenStreamFactory tokens;
    private DataBuffer buffer;
    private OutputStream stream;

    EventWriter(DataBufferFactory buffers, JsonMapper json) {
        this.buffers = buffers;
        this.json = json;
        this.tokens = json.tokenStreamFactory();
    }

    /** JSON an event carries, written by a caller that knows its shape. */
    @FunctionalInterface
    public interface JsonContent {
        void writeTo(JsonGenerator generator);
    }

    /** The {@code event:name} line of an event, encoded once. */
    public static byte[] eventLine(String name) {
        return ascii("event:" + name + "\n");
    }

    /**
     * An event whose data is JSON written by {@code content} with Jackson's streaming API (the hot path: a token);
     * {@code eventLine} is null for a data-only event.
     */
    public void event(byte[] eventLine, JsonContent content) {
        DataBuffer target = buffer();
        int start = target.writePosition();
        try {
            head(target, eventLine);
            try (JsonGenerator generator = tokens.createGenerator(ObjectWriteContext.empty(), stream)) {
                content.writeTo(generator);
            }
            target.write(END);
        }
        catch (RuntimeException failure) {
            target.writePosition(start);
            throw failure;
        }
    }

    /** An event whose data is {@code value} as the application's mapper writes it. */
    public void valueEvent(byte[] eventLine, Object value) {
        DataBuffer target = buffer();
        int start = target.writePosition();
        try {
            head(target, eventLine);
            json.writeValue(stream, value);
            target.write(END);
        }
        catch (RuntimeException failure) {
            target.writePosition(start);
            throw failure;
        }
    }

    /** An event whose data is bytes made elsewhere: one line, without newlines, JSON or not. */
    public void rawEvent(byte[] eventLine, byte[] data) {
        head(buffer(), eventLine).write(data).write(END);
    }

    /** A comment that keeps the connection busy while the upstream is silent. */
    void heartbeat() {
        buffer().write(HEARTBEAT);
    }

    /** Whether events were written since the last {@link #take()}. */
    boolean hasPending() {
        return buffer != null && buffer.readableByteCount() > 0;
    }

    /** The events written since the last call, in one buffer that is the caller's now. */
    DataBuffer take() {
        DataBuffer taken = buffer;
        buffer = null;
        stream = null;
        return taken;
    }

    /** Drops what was not taken. */
    void discard() {
        if (buffer != null) {
            DataBufferUtils.release(take());
        }
    }

    private static DataBuffer head(DataBuffer target, byte[] eventLine) {
        if (eventLine != null) {
            target.write(eventLine);
        }
        return target.write(DATA);
    }

    private DataBuffer buffer() {
        if (buffer == null) {
            buffer = buffers.allocateBuffer(INITIAL_CAPACITY);
            stream = new BufferStream(buffer);
        }
        return buffer;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** Jackson's output, into the buffer; closing it (as Jackson does with its generator) leaves the buffer open. */
    private static final class BufferStream extends OutputStream {

        private final DataBuffer buffer;

        BufferStream(DataBuffer buffer) {
            this.buffer = buffer;
        }

        @Override
        public void write(int b) {
            buffer.write((byte) b);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            buffer.write(bytes, offset, length);
        }
    }
}
