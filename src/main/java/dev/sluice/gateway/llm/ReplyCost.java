package dev.sluice.gateway.llm;

/** What a request's reply cost, as its tally says once the reply has ended: what its settlement charges. */
public interface ReplyCost {

    /** The usage the provider reported, or {@code null} if it reported none. */
    ChatChunk.Usage usage();

    /** Characters of text and tool calls (names and arguments) the reply streamed. */
    long replyChars();

    /** Whether the request went upstream: then its prompt is charged even without a reply. */
    boolean promptSent();
}
