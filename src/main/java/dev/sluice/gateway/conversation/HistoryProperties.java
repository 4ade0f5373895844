package dev.sluice.gateway.conversation;

import java.time.Duration;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Conversation history ({@code sluice.history.*}): how much of it goes to the provider as context, and how its
 * writes leave the request path.
 *
 * @param contextMessages most earlier messages of a conversation sent as context with a new one
 * @param contextTokens most estimated tokens (characters / 4) of earlier messages sent as context
 * @param bufferSize most history writes waiting for the database; past that new ones are dropped and counted
 * @param batchSize most writes stored in one round of statements
 * @param retryBackoff first wait before storing a batch again while the database is unreachable
 * @param maxRetryBackoff longest wait between two attempts
 * @param shutdownWait how long a graceful shutdown waits for the buffer to empty
 */
@Validated
@ConfigurationProperties("sluice.history")
public record HistoryProperties(
        @DefaultValue("20") @PositiveOrZero int contextMessages,
        @DefaultValue("8000") @PositiveOrZero int contextTokens,
        @DefaultValue("20000") @Positive int bufferSize,
        @DefaultValue("200") @Positive @Max(1000) int batchSize,
        @DefaultValue("100ms") Duration retryBackoff,
        @DefaultValue("5s") Duration maxRetryBackoff,
        @DefaultValue("10s") Duration shutdownWait) {
}
