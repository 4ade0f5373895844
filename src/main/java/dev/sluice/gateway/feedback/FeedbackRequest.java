package dev.sluice.gateway.feedback;

import java.util.UUID;

import dev.sluice.gateway.conversation.HistoryWrite;
import dev.sluice.gateway.web.GatewayException;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The body of {@code POST /api/v1/feedback}. {@code rating} is -1 or 1 (thumbs) or 1 to 5 (stars).
 *
 * @param comment optional, at most {@value #MAX_COMMENT} characters
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record FeedbackRequest(String messageId, Integer rating, String comment) {

    static final int MAX_COMMENT = 2000;

    HistoryWrite.Feedback toWrite(UUID user) {
        UUID message = FeedbackEndpoint.messageId(messageId);
        if (rating == null) {
            throw GatewayException.invalid("rating", "is required (-1 or 1, or 1 to 5)");
        }
        if (rating != -1 && (rating < 1 || rating > 5)) {
            throw GatewayException.invalid("rating", "must be -1 or 1, or 1 to 5");
        }
        String text = comment == null || comment.isBlank() ? null : comment.strip();
        if (text != null && text.length() > MAX_COMMENT) {
            throw GatewayException.invalid("comment", "must be at most " + MAX_COMMENT + " characters");
        }
        return new HistoryWrite.Feedback(user, message, rating, text,
                java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).truncatedTo(java.time.temporal.ChronoUnit.MICROS));
    }
}
