package dev.sluice.gateway.llm;

/** Whether and which tool the model must call; {@code function} is set only for {@link Mode#FUNCTION}. */
public record ToolChoice(Mode mode, String function) {

    public enum Mode { AUTO, NONE, REQUIRED, FUNCTION }

    public static ToolChoice of(Mode mode) {
        return new ToolChoice(mode, null);
    }

    public static ToolChoice function(String name) {
        return new ToolChoice(Mode.FUNCTION, name);
    }
}
