package dev.sluice.gateway.cache;

import java.util.ArrayList;
import java.util.List;

import dev.sluice.gateway.llm.ChatChunk;

/**
 * The chunks of one reply so far, for clients that join its flight late and for storing it, up to
 * {@code max-entry-bytes}: a reply that outgrows it is neither replayed nor stored, so it is not held at all. The
 * size counted is a lower bound of the encoded entry's (every character is at least one byte of UTF-8); the
 * writer checks the exact size. Not thread-safe: its flight guards it.
 */
final class ReplayBuffer {

    private final long maxBytes;
    private final List<ChatChunk> chunks = new ArrayList<>();
    private long bytes;
    private boolean finished;

    ReplayBuffer(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Adds {@code chunk}; {@code false}, and the buffer is to be dropped, once the reply is over the limit. */
    boolean add(ChatChunk chunk) {
        bytes += lowerBound(chunk);
        if (bytes > maxBytes) {
            return false;
        }
        if (chunk instanceof ChatChunk.Finish) {
            finished = true;
        }
        chunks.add(chunk);
        return true;
    }

    List<ChatChunk> chunks() {
        return chunks;
    }

    /** Whether the reply got as far as its finish: only such a reply is stored. */
    boolean finished() {
        return finished;
    }

    private static long lowerBound(ChatChunk chunk) {
        if (chunk instanceof ChatChunk.TextDelta text) {
            return 5 + text.text().length();
        }
        if (chunk instanceof ChatChunk.ToolCallDelta call) {
            return 17 + length(call.id()) + length(call.name()) + length(call.argumentsDelta());
        }
        if (chunk instanceof ChatChunk.Extra extra) {
            return 18 + extra.reply().length() + extra.choiceFields().length() + extra.message().length();
        }
        if (chunk instanceof ChatChunk.Usage usage) {
            return 9 + usage.details().length();
        }
        return 2;
    }

    private static int length(String text) {
        return text == null ? 0 : text.length();
    }
}
