package dev.sluice.gateway.provider.http;

import java.nio.charset.StandardCharsets;

import io.netty.buffer.ByteBuf;

/**
 * The bytes of one response body gathered in one array, up to a limit: a whole reply, or the start of an error
 * reply. The network buffers are only copied from, never kept: Reactor Netty releases each once it is read.
 */
final class BodyBytes {

    private static final byte[] EMPTY = new byte[0];
    /** An announced length is taken at its word only this far: a larger body grows the array as it arrives. */
    private static final int MAX_PRESIZE = 64 * 1024;

    private final int limit;
    private byte[] bytes;
    private int length;
    private boolean cut;

    /** @param expected the announced length (Content-Length), 0 when unknown: the array starts that big */
    BodyBytes(int limit, int expected) {
        this.limit = limit;
        this.bytes = expected > 0 ? new byte[Math.min(expected, Math.min(limit, MAX_PRESIZE))] : EMPTY;
    }

    /** Copies what fits of {@code buffer}; whether there is room for more. */
    boolean appendUntilFull(ByteBuf buffer) {
        int count = Math.min(buffer.readableBytes(), limit - length);
        if (count < buffer.readableBytes()) {
            cut = true;
        }
        if (length + count > bytes.length) {
            byte[] grown = new byte[Math.min(limit, Math.max(length + count, Math.max(512, bytes.length * 2)))];
            System.arraycopy(bytes, 0, grown, 0, length);
            bytes = grown;
        }
        buffer.getBytes(buffer.readerIndex(), bytes, length, count);
        length += count;
        return length < limit;
    }

    /** Whether bytes past the limit were left out. */
    boolean cut() {
        return cut;
    }

    byte[] array() {
        return bytes;
    }

    int length() {
        return length;
    }

    String text() {
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }
}
