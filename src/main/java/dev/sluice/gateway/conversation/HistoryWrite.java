package dev.sluice.gateway.conversation;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * One row for the write-behind buffer. Writes are stored in the order they were offered, so a conversation is
 * offered before its messages, and a message before feedback on it.
 */
public sealed interface HistoryWrite {

    record NewConversation(UUID id, UUID userId, String title, OffsetDateTime createdAt) implements HistoryWrite {
    }

    /** A stored message; {@code status} is {@code ok}, {@code cancelled} or {@code failed}. */
    record Message(UUID id, UUID conversationId, UUID userId, String role, String content, String model,
            String provider, Integer tokensIn, Integer tokensOut, Long ttftMs, Long durationMs, String finishReason,
            String status, String error, OffsetDateTime createdAt) implements HistoryWrite {
    }

    /** One user's rating of one message; a later one replaces it. */
    record Feedback(UUID userId, UUID messageId, int rating, String comment, OffsetDateTime at) implements HistoryWrite {
    }
}
