package dev.sluice.gateway.conversation;

import java.time.Duration;

import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Conversation history ({@code sluice.history.*}): how much of it goes to the provider as context, and how its
 * writes leave the request path.
 *
 * @param contextMessages most earlier messages of a conversation sent as context with a new one
 * @param contextTokens most estimated tokens (characters / 4) of earlier messages sent as context
 * @param bufferSize most history writes waiting for the database; past that new ones are refused and counted
 * @param bufferBytes most heap the waiting writes may hold (their text at two bytes a character); past that too
 * @param perUserShare the part of either bound one user's waiting writes may take, so that others still get in
 * @param batchSize most writes stored in one round of statements
 * @param linger how long a write offered to an idle writer waits for others to share its round of statements; under
 *        load the rounds fill while the one before is stored, and a lone client's replies then cost one round per
 *        linger instead of one each
 * @param retryBackoff first wait before storing a batch again while the database is unreachable
 * @param maxRetryBackoff longest wait between two attempts
 * @param shutdownWait how long a graceful shutdown waits for the buffer to empty
 * @param loadTimeout longest wait for a conversation's owner and context from the database before the chat is a 503
 */
@Validated
@ConfigurationProperties("sluice.history")
public record HistoryProperties(
        @DefaultValue("20") @PositiveOrZero int contextMessages,
        @DefaultValue("8000") @PositiveOrZero int contextTokens,
        @DefaultValue("20000") @Positive int bufferSize,
        @DefaultValue("64MB") @NotNull DataSize bufferBytes,
        @DefaultValue("0.125") @DecimalMin(value = "0", inclusive = false) @DecimalMax("1") double perUserShare,
        @DefaultValue("200") @Positive @Max(1000) int batchSize,
        @DefaultValue("10ms") @NotNull Duration linger,
        @DefaultValue("100ms") Duration retryBackoff,
        @DefaultValue("5s") Duration maxRetryBackoff,
        @DefaultValue("10s") Duration shutdownWait,
        @DefaultValue("2s") @NotNull Duration loadTimeout) {

    /** The most waiting writes one user may have. */
    int perUserRows() {
        return (int) Math.max(1, Math.floor(bufferSize * perUserShare));
    }

    /** The most bytes one user's waiting writes may hold. */
    long perUserBytes() {
        return (long) Math.max(1, Math.floor(bufferBytes.toBytes() * perUserShare));
    }
}
