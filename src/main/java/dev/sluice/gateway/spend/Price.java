package dev.sluice.gateway.spend;

import java.math.BigDecimal;
import java.math.RoundingMode;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.PositiveOrZero;

/**
 * What a model's tokens cost, in USD per million tokens ({@code {input, output, cached-input}}), which is micro-USD
 * per token: a cost is {@code tokens × price} micro-USD. Costs are whole micro-USD ({@code long}), rounded up once
 * per call, so that a call that used priced tokens never costs nothing and a budget is never undercharged.
 *
 * @param input each prompt token that was not read from the provider's prompt cache
 * @param output each reply token (reasoning included)
 * @param cachedInput each prompt token the provider read from its prompt cache; the input price when unset
 */
public record Price(@NotNull @PositiveOrZero BigDecimal input, @NotNull @PositiveOrZero BigDecimal output,
        @PositiveOrZero BigDecimal cachedInput) {

    /** What the demo simulator costs: nothing, and it is priced. */
    public static final Price FREE = new Price(BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO);

    public Price {
        cachedInput = cachedInput == null ? input : cachedInput;
    }

    /** USD per million tokens, as the default table writes them. */
    static Price of(String input, String cachedInput, String output) {
        return new Price(new BigDecimal(input), new BigDecimal(output), new BigDecimal(cachedInput));
    }

    /**
     * The cost in micro-USD of a call that read {@code inputTokens} prompt tokens, {@code cachedInputTokens} of them
     * from the provider's prompt cache (a part of the prompt, as OpenAI and Sluice's Anthropic adapter count it), and
     * wrote {@code outputTokens}.
     */
    public long costMicros(long inputTokens, long outputTokens, long cachedInputTokens) {
        long cached = Math.min(Math.max(cachedInputTokens, 0), inputTokens);
        BigDecimal exact = input.multiply(BigDecimal.valueOf(inputTokens - cached))
                .add(cachedInput.multiply(BigDecimal.valueOf(cached)))
                .add(output.multiply(BigDecimal.valueOf(outputTokens)));
        return exact.setScale(0, RoundingMode.CEILING).longValueExact();
    }

    /**
     * The most a call can cost before it is made, in micro-USD: the estimated prompt at the full input price and
     * every token of the reply cap, as a budget reserves it.
     */
    public long worstCaseMicros(long promptTokens, long replyCap) {
        return costMicros(promptTokens, replyCap, 0);
    }
}
