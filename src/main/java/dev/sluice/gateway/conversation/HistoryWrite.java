package dev.sluice.gateway.conversation;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * One row for the write-behind buffer. Writes are stored in the order they were offered, so a conversation is
 * offered before its messages, and a message before feedback on it.
 * <p>
 * Much of a row is client input. {@link #sanitised()} makes it fit its table (no NUL, which PostgreSQL text
 * cannot hold; no string longer than its column) before it joins a batch, so that one such row cannot fail the
 * statement that carries two hundred others.
 */
public sealed interface HistoryWrite {

    /** Whose row this is: the buffer's fair share is counted per user. */
    UUID userId();

    /** The same row cut to fit its columns. */
    HistoryWrite sanitised();

    /** About how many bytes of heap the row holds while it waits: its strings at two bytes a char, and a fixed part. */
    long weight();

    record NewConversation(UUID id, UUID userId, String title, OffsetDateTime createdAt) implements HistoryWrite {

        /** {@code conversations.title} */
        static final int MAX_TITLE = 200;

        @Override
        public NewConversation sanitised() {
            return new NewConversation(id, userId, HistoryColumns.fit(title, MAX_TITLE), createdAt);
        }

        @Override
        public long weight() {
            return HistoryColumns.weight(title);
        }
    }

    /**
     * A stored message; {@code status} is {@code ok}, {@code cancelled} or {@code failed}; {@code costUsd} is
     * {@code null} for a question, and for a reply whose model has no price.
     */
    record Message(UUID id, UUID conversationId, UUID userId, String role, String content, String model,
            String provider, Integer tokensIn, Integer tokensOut, Long ttftMs, Long durationMs, String finishReason,
            String status, String error, BigDecimal costUsd, Boolean costEstimated, OffsetDateTime createdAt)
            implements HistoryWrite {

        /** The sizes of {@code messages}' VARCHAR columns. */
        static final int MAX_ROLE = 16;
        static final int MAX_MODEL = 200;
        static final int MAX_FINISH_REASON = 32;
        static final int MAX_STATUS = 16;
        static final int MAX_ERROR = 1000;

        @Override
        public Message sanitised() {
            return new Message(id, conversationId, userId, HistoryColumns.fit(role, MAX_ROLE), HistoryColumns.fit(content, Integer.MAX_VALUE),
                    HistoryColumns.fit(model, MAX_MODEL), HistoryColumns.fit(provider, MAX_MODEL), tokensIn, tokensOut, ttftMs, durationMs,
                    HistoryColumns.fit(finishReason, MAX_FINISH_REASON), HistoryColumns.fit(status, MAX_STATUS), HistoryColumns.fit(error, MAX_ERROR),
                    costUsd, costEstimated, createdAt);
        }

        @Override
        public long weight() {
            return HistoryColumns.weight(content, model, provider, error);
        }
    }

    /**
     * What one call cost ({@code usage_records}), on any API; {@code costUsd} is {@code null} when its model has no
     * price. {@code endUser} is the caller's client input, the rest is the gateway's own.
     */
    record Usage(UUID id, UUID userId, UUID apiKeyId, String endUser, String kind, String model, String provider,
            String providerModel, LocalDate day, long inputTokens, long outputTokens, long cachedInputTokens,
            BigDecimal costUsd, boolean estimated, boolean cacheHit, OffsetDateTime createdAt) implements HistoryWrite {

        /** The sizes of {@code usage_records}' VARCHAR columns. */
        static final int MAX_END_USER = 200;
        static final int MAX_PROVIDER = 100;

        @Override
        public Usage sanitised() {
            return new Usage(id, userId, apiKeyId, HistoryColumns.fit(endUser, MAX_END_USER), kind,
                    HistoryColumns.fit(model, Message.MAX_MODEL), HistoryColumns.fit(provider, MAX_PROVIDER),
                    HistoryColumns.fit(providerModel, Message.MAX_MODEL), day, inputTokens, outputTokens,
                    cachedInputTokens, costUsd, estimated, cacheHit, createdAt);
        }

        @Override
        public long weight() {
            return HistoryColumns.weight(endUser, model, provider, providerModel);
        }
    }

    /** One user's rating of one message; a later one replaces it. */
    record Feedback(UUID userId, UUID messageId, int rating, String comment, OffsetDateTime at) implements HistoryWrite {

        /** {@code feedback.comment} */
        static final int MAX_COMMENT = 2000;

        @Override
        public Feedback sanitised() {
            return new Feedback(userId, messageId, rating, HistoryColumns.fit(comment, MAX_COMMENT), at);
        }

        @Override
        public long weight() {
            return HistoryColumns.weight(comment);
        }
    }
}
