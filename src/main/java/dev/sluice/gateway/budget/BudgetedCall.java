package dev.sluice.gateway.budget;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.routing.Target;

/** What a call's budget settlement reads of it once it has ended: who served it, and what it used. */
public interface BudgetedCall {

    /** The target this call itself sent to; {@code null} when it sent nothing (refused early, or a cached reply). */
    Target target();

    /** The usage the provider reported, or {@code null} if it reported none. */
    ChatChunk.Usage usage();

    /** Characters of text and tool calls the reply streamed. */
    long replyChars();

    /** Whether the request went upstream: then its prompt is paid for even without a reply. */
    boolean promptSent();
}
