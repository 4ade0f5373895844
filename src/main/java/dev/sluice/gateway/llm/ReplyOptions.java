package dev.sluice.gateway.llm;

/**
 * What the reply may be: how long, how many, how much reasoning before it, and in what shape. Each is {@code null}
 * when the caller did not set it, so that each provider applies its own default.
 *
 * @param maxTokens the most tokens of one reply, reasoning included for a model that reasons
 * @param capName which of OpenAI's two names for {@code maxTokens} the caller used; {@code null} when it set none, or
 *        its API has one name only. An OpenAI-compatible provider is sent the cap under this name: OpenAI's reasoning
 *        models take only {@code max_completion_tokens}, older OpenAI-compatible servers only {@code max_tokens}
 * @param choices how many alternative replies to make (OpenAI's {@code n})
 * @param reasoningEffort how hard a reasoning model thinks first, in OpenAI's words ({@code none}, {@code minimal},
 *        {@code low}, {@code medium}, {@code high}...), passed on as the caller wrote it
 * @param format the shape the reply must take
 */
public record ReplyOptions(Integer maxTokens, CapName capName, Integer choices, String reasoningEffort,
        ResponseFormat format) {

    /** Nothing set: every provider's defaults. */
    public static final ReplyOptions DEFAULTS = new ReplyOptions(null, null, null, null, null);

    /** OpenAI's names for the reply cap. */
    public enum CapName {
        MAX_TOKENS("max_tokens"), MAX_COMPLETION_TOKENS("max_completion_tokens");

        private final String wireName;

        CapName(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }

    /** How many replies are made: {@link #choices}, or one. */
    public int choiceCount() {
        return choices == null ? 1 : choices;
    }

    /** The same options with another cap, under the same name. */
    public ReplyOptions withMaxTokens(Integer newMaxTokens) {
        return new ReplyOptions(newMaxTokens, capName, choices, reasoningEffort, format);
    }
}
