package dev.sluice.gateway.llm;

/** Who wrote a message. OpenAI's newer {@code developer} role is read as {@link #SYSTEM}. */
public enum Role {
    SYSTEM, USER, ASSISTANT, TOOL;

    /** The wire name used by OpenAI-style APIs, or {@code null} if the name is unknown. */
    public static Role fromWire(String name) {
        if (name == null) {
            return null;
        }
        return switch (name) {
            case "system", "developer" -> SYSTEM;
            case "user" -> USER;
            case "assistant" -> ASSISTANT;
            case "tool" -> TOOL;
            default -> null;
        };
    }

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
