package dev.sluice.gateway.provider.http;

import java.util.ArrayList;
import java.util.List;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.JsonFields;

/**
 * Where an {@link EventReader} puts what a reply says, kept to the chunk contract whatever order the
 * wire uses: deltas go out as they come, only the first finish counts, and the usage is held back for
 * the end of the body so that quotas count it once. One per stream, owned by {@link EventStreamDecoder}.
 * <p>
 * What a payload says beyond the neutral chunks ({@link ChatChunk.Extra}) goes ahead of the chunks read from that
 * payload, so that an edge may write them together. Fields of the reply that come with nothing to go ahead of (the
 * first, role-only chunk of a stream) wait for the next payload that has something.
 */
public final class ChunkSink {

    private List<ChatChunk> chunks = new ArrayList<>(2);
    private boolean finished;
    private ChatChunk.Usage usage;
    private JsonFields waitingReplyFields;

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
        finish(reason, null);
    }

    /** Why the reply finished, and which of the request's stop sequences ended it (or {@code null}). */
    public void finish(FinishReason reason, String stopSequence) {
        if (!finished) {
            finished = true;
            chunks.add(new ChatChunk.Finish(reason, stopSequence));
        }
    }

    /** Where the chunks read from now on begin: what a reader hands to {@link #extra} once it has read a payload. */
    public int mark() {
        return chunks.size();
    }

    /** Whether reply fields wait for a payload with something to go ahead of: a reader calls {@link #extra} then. */
    public boolean holdsReplyFields() {
        return waitingReplyFields != null;
    }

    /**
     * What the payload whose chunks began at {@code from} says of choice 0 beyond them: fields of the reply that are
     * new or changed, of the choice and of its message; any may be empty. It goes ahead of those chunks, with the
     * reply fields still waiting.
     */
    public void extra(int from, JsonFields reply, JsonFields choice, JsonFields message) {
        JsonFields replyFields = waitingReplyFields == null ? reply : waitingReplyFields.with(reply);
        boolean withNext = chunks.size() > from;
        if (!withNext && choice.isEmpty() && message.isEmpty()) {
            waitingReplyFields = replyFields.isEmpty() ? null : replyFields;
            return;
        }
        waitingReplyFields = null;
        chunks.add(from, new ChatChunk.Extra(0, replyFields, choice, message, withNext));
    }

    /** What one payload says of choice {@code index}, not 0: all its fields, which no other chunk carries. */
    public void otherChoice(int index, JsonFields choice, JsonFields message) {
        JsonFields replyFields = waitingReplyFields == null ? JsonFields.EMPTY : waitingReplyFields;
        waitingReplyFields = null;
        chunks.add(new ChatChunk.Extra(index, replyFields, choice, message, false));
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

    /** Forgets the chunks added since {@code mark}: a payload that breaks the stream counts for nothing. */
    void truncate(int mark) {
        chunks.subList(mark, chunks.size()).clear();
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
