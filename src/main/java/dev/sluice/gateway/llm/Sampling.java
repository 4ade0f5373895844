package dev.sluice.gateway.llm;

import java.util.List;

/**
 * How the reply's tokens are drawn. Each parameter is {@code null} when the caller did not set it, so that each
 * provider applies its own default.
 *
 * @param stop sequences that end the reply where they appear
 */
public record Sampling(Double temperature, Double topP, Long seed, Double presencePenalty, Double frequencyPenalty,
        List<String> stop) {

    /** Nothing set: every provider's defaults. */
    public static final Sampling DEFAULTS = new Sampling(null, null, null, null, null, List.of());

    public Sampling {
        stop = stop == null ? List.of() : List.copyOf(stop);
    }
}
