package dev.sluice.gateway.provider.http;

import dev.sluice.gateway.provider.UpstreamException;

/**
 * OpenAI's reasoning efforts as thinking budgets in tokens, for the protocols that take a budget (Anthropic's
 * {@code thinking.budget_tokens}, Gemini's {@code thinkingBudget}): Google's own table for its OpenAI-compatible
 * API (1,024, 8,192 and 24,576 tokens for low, medium and high; none for {@code none}), with {@code minimal} as low
 * and {@code xhigh} as the 32,768 that Gemini's largest models take at most.
 */
public final class ReasoningBudget {

    /** What {@code none} asks: no thinking. */
    public static final int NONE = 0;

    private ReasoningBudget() {
    }

    /**
     * The budget of {@code effort}.
     *
     * @throws UpstreamException.Unsupported for an effort this table does not know
     */
    public static int of(String effort, String protocol) {
        return switch (effort) {
            case "none" -> NONE;
            case "minimal", "low" -> 1_024;
            case "medium" -> 8_192;
            case "high" -> 24_576;
            case "xhigh" -> 32_768;
            default -> throw OpenAiOnly.unsupported("reasoning_effort", protocol + " takes a thinking budget, and '"
                    + effort + "' is not an effort Sluice knows one for (none, minimal, low, medium, high, xhigh)");
        };
    }
}
