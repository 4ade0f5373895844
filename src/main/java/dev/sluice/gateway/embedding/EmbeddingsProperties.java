package dev.sluice.gateway.embedding;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Limits of embeddings requests ({@code sluice.embeddings.*}). The request's bytes are bounded by
 * {@code sluice.web.max-body-size}, as every request's are.
 *
 * @param maxInputs most inputs (texts or token arrays) one request may carry; OpenAI's own limit is 2048
 * @param maxReplyBytes most bytes of a provider's reply read; a longer one is refused with a 502 and its call closed.
 *        A float vector of 1536 dimensions is about 30 kB of JSON, in base64 (what the OpenAI SDKs ask for) about 8 kB
 */
@Validated
@ConfigurationProperties("sluice.embeddings")
public record EmbeddingsProperties(
        @DefaultValue("2048") @Positive int maxInputs,
        @DefaultValue("32MB") @NotNull DataSize maxReplyBytes) {

    /** {@link #maxReplyBytes} as a count an array can hold. */
    int maxReplyByteCount() {
        return (int) Math.min(Integer.MAX_VALUE - 8, maxReplyBytes.toBytes());
    }
}
