package dev.sluice.gateway.llm;

/** Why the model stopped. */
public enum FinishReason {
    STOP("stop"), LENGTH("length"), TOOL_CALLS("tool_calls"), CONTENT_FILTER("content_filter");

    private final String wireName;

    FinishReason(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** Reads OpenAI's finish reasons; anything unknown counts as a normal stop. */
    public static FinishReason fromWire(String name) {
        if (name == null) {
            return STOP;
        }
        return switch (name) {
            case "length" -> LENGTH;
            case "tool_calls", "function_call" -> TOOL_CALLS;
            case "content_filter" -> CONTENT_FILTER;
            default -> STOP;
        };
    }
}
