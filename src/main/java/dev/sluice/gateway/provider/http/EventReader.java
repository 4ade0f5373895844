package dev.sluice.gateway.provider.http;

import dev.sluice.gateway.provider.UpstreamException.StreamBroken;

/**
 * The part of a streamed reply that differs between wire protocols: what the {@code data:} payloads of
 * its server-sent events mean. {@link EventStreamDecoder} does the framing and hands each payload over
 * as a byte range. One instance per stream; it keeps what it needs of earlier payloads.
 */
public interface EventReader {

    /**
     * Reads one payload, {@code bytes[offset, offset + length)}, into {@code reply}.
     *
     * @throws StreamBroken on an error event or a payload that cannot be read
     */
    void read(byte[] bytes, int offset, int length, ChunkSink reply);

    /** Whether the reply has said it is over ({@code [DONE]}, {@code message_stop}); nothing after it is read. */
    default boolean complete() {
        return false;
    }
}
