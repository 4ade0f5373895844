package dev.sluice.gateway.chat;

import dev.sluice.gateway.llm.ChatChunk;

/**
 * One reply in the event format of one API. One encoder per reply; its methods are called one at a time, on the
 * response's event loop: {@link #chunk} for each chunk, then {@link #complete} or {@link #failed} once.
 */
public interface EventEncoder {

    /** Writes the events of one chunk: none, one or more. */
    void chunk(ChatChunk chunk, EventWriter out);

    /** Writes what ends a complete reply. */
    void complete(EventWriter out);

    /**
     * Writes the event that ends a reply failing after its first event, which has the HTTP status behind it: a
     * stream must never look finished when it is not.
     */
    void failed(Throwable failure, EventWriter out);
}
