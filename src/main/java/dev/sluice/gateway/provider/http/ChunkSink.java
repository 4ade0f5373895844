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
 * Pieces of text that arrive in one network read leave as one {@link ChatChunk.TextDelta}: the client would
 * get them in the same write anyway, and every stage after the decoder then handles one chunk per read
 * instead of one per upstream event (a fast upstream sends a whole short reply in one or two reads).
 * <p>
 * What a payload says beyond the neutral chunks ({@link ChatChunk.Extra}) goes ahead of what was read from that
 * payload, the text before it made a chunk of its own, so that an edge may write the extra with the chunk it goes
 * with. Fields of the reply that come with nothing to go ahead of (the first, role-only chunk of a stream) wait for
 * the next payload that has something.
 */
public final class ChunkSink {

    private List<ChatChunk> chunks = new ArrayList<>(2);
    /** Text of this read not yet made a chunk. */
    private final StringBuilder text = new StringBuilder();
    /** Where the last {@link #mark()} left the chunks and the text. */
    private int markedChunks;
    private int markedText;
    /** How much of the chunk at {@code markedChunks} came before the mark, when text was made a chunk since. */
    private int straddling;
    private boolean finished;
    private ChatChunk.Usage usage;
    private JsonFields waitingReplyFields;

    /** A piece of the answer; empty pieces carry nothing. */
    public void text(String text) {
        if (text != null) {
            this.text.append(text);
        }
    }

    /** Makes the text held so far a chunk, before a chunk of another kind or at the end of the read. */
    private void flushText() {
        if (text.isEmpty()) {
            return;
        }
        chunks.add(new ChatChunk.TextDelta(text.toString()));
        text.setLength(0);
        if (markedText > 0) {
            // That chunk begins with text from before the mark, which a rollback keeps.
            straddling = markedText;
            markedText = 0;
        }
    }

    /** A fragment of tool call {@code index}: the first carries its id and name, later ones only arguments. */
    public void toolCall(int index, String id, String name, String argumentsDelta) {
        flushText();
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
            flushText();
            chunks.add(new ChatChunk.Finish(reason, stopSequence));
        }
    }

    /** Whether reply fields wait for a payload with something to go ahead of: a reader calls {@link #extra} then. */
    public boolean holdsReplyFields() {
        return waitingReplyFields != null;
    }

    /**
     * What the payload just read says of choice 0 beyond its chunks: fields of the reply that are new or changed, of
     * the choice and of its message; any may be empty. It goes ahead of what the payload added, with the reply fields
     * still waiting; with nothing to go ahead of and only reply fields, they wait too.
     */
    public void extra(JsonFields reply, JsonFields choice, JsonFields message) {
        JsonFields replyFields = waitingReplyFields == null ? reply : waitingReplyFields.with(reply);
        boolean added = chunks.size() > markedChunks || text.length() > markedText;
        if (!added && choice.isEmpty() && message.isEmpty()) {
            waitingReplyFields = replyFields.isEmpty() ? null : replyFields;
            return;
        }
        waitingReplyFields = null;
        ChatChunk.Extra extra = new ChatChunk.Extra(0, replyFields, choice, message, added);
        if (straddling > 0) {
            // The payload's text joined earlier text in a chunk: split it where the payload began.
            String joined = ((ChatChunk.TextDelta) chunks.get(markedChunks)).text();
            chunks.set(markedChunks, new ChatChunk.TextDelta(joined.substring(0, straddling)));
            if (joined.length() > straddling) {
                chunks.add(markedChunks + 1, new ChatChunk.TextDelta(joined.substring(straddling)));
            }
            chunks.add(markedChunks + 1, extra);
        }
        else if (markedText > 0) {
            // Text from before the payload waits with the payload's own: the earlier part becomes a chunk first.
            chunks.add(new ChatChunk.TextDelta(text.substring(0, markedText)));
            text.delete(0, markedText);
            chunks.add(extra);
        }
        else {
            chunks.add(markedChunks, extra);
        }
    }

    /** What one payload says of choice {@code index}, not 0: all its fields, which no other chunk carries. */
    public void otherChoice(int index, JsonFields choice, JsonFields message) {
        flushText();
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

    /** Remembers what is held now, for {@link #rollback()}. */
    void mark() {
        markedChunks = chunks.size();
        markedText = text.length();
        straddling = 0;
    }

    /** Forgets what was added since the last {@link #mark()}: a payload that breaks the stream counts for nothing. */
    void rollback() {
        if (straddling > 0) {
            String kept = ((ChatChunk.TextDelta) chunks.get(markedChunks)).text().substring(0, straddling);
            text.setLength(0);
            text.append(kept);
        }
        else {
            text.setLength(markedText);
        }
        chunks.subList(markedChunks, chunks.size()).clear();
        markedText = text.length();
        straddling = 0;
    }

    /** The chunks added since the last call. */
    List<ChatChunk> take() {
        markedText = 0;
        straddling = 0;
        flushText();
        if (chunks.isEmpty()) {
            return List.of();
        }
        List<ChatChunk> taken = chunks;
        chunks = new ArrayList<>(2);
        return taken;
    }
}
