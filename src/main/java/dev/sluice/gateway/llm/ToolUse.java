package dev.sluice.gateway.llm;

import java.util.List;

/**
 * The functions the model may call, and how.
 *
 * @param choice whether and which function the model must call, or {@code null} for the provider's default
 * @param parallelCalls whether the model may call several functions at once, or {@code null} for the default
 */
public record ToolUse(List<ToolDefinition> definitions, ToolChoice choice, Boolean parallelCalls) {

    /** No tools. */
    public static final ToolUse NONE = new ToolUse(List.of(), null, null);

    public ToolUse {
        definitions = definitions == null ? List.of() : List.copyOf(definitions);
    }

    public boolean isEmpty() {
        return definitions.isEmpty();
    }
}
