package dev.sluice.gateway.provider.http;

import java.util.ArrayList;
import java.util.List;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.FinishReason;

/**
 * Where an {@link EventReader} puts what a reply says, kept to the chunk contract whatever order the
 * wire uses: deltas go out as they come, only the first finish counts, and the usage is held back for
 * the end of the body so that quotas count it once. One per stream, owned by {@link EventStreamDecoder}.
 */
public final class ChunkSink {

    private List<ChatChunk> chunks = new ArrayList<>(2);
    private boolean finished;
    private ChatChunk.Usage usage;

    /** A piece of the answer; empty pieces carry nothing. */
    public void text(String text) {
        if (text != null && !text.isEmpty()) {
            chunks.add(new ChatChunk.TextDelta(text));
        }
    }

    /** A fragment of tool call {@code index}: the first carries its id and name, later ones only arguments. */
    public void toolCall(int index, String id, String name, String argumentsDelta) {
        chunks.add(new ChatChunk.ToolCallDelta(index, id, name, argumentsDelta));
    }

    /** Why the reply finished; a later reason does not change it. */
    public void finish(FinishReason reason) {
        if (!finished) {
            finished = true;
            chunks.add(new ChatChunk.Finish(reason));
        }
    }

    public boolean finished() {
        return finished;
    }

    /** The usage so far; a later report replaces it (vendors repeat running totals). */
    public void usage(ChatChunk.Usage latest) {
        this.usage = latest;
    }

    ChatChunk.Usage usage() {
        return usage;
    }

    int size() {
        return chunks.size();
    }

    /** Forgets the chunks added since there were {@code size}: a payload that breaks the stream counts for nothing. */
    void truncate(int size) {
        chunks.subList(size, chunks.size()).clear();
    }

    /** The chunks added since the last call. */
    List<ChatChunk> take() {
        if (chunks.isEmpty()) {
            return List.of();
        }
        List<ChatChunk> taken = chunks;
        chunks = new ArrayList<>(2);
        return taken;
    }
}
