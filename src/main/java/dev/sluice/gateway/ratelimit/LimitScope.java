package dev.sluice.gateway.ratelimit;

/**
 * Which budget a decision is about; its name is what clients read in a 429 and what metrics are tagged with. The
 * budgets of a {@link #sized} scope differ in size from key to key (each API key has its own), so their keys carry
 * their size ({@link Buckets#sized}).
 */
public enum LimitScope {

    PER_IP("per-ip", "per-IP", "requests", false),
    PER_USER("per-user", "per-user", "requests", false),
    PER_KEY("per-key", "API key's", "requests", true),
    PER_KEY_TOKENS("per-key-tokens", "API key's", "tokens", true),
    PER_END_USER("per-end-user", "per-end-user", "requests", false);

    private final String tag;
    private final String label;
    private final String unit;
    private final boolean sized;

    LimitScope(String tag, String label, String unit, boolean sized) {
        this.tag = tag;
        this.label = label;
        this.unit = unit;
        this.sized = sized;
    }

    /** The metric tag and Redis key segment: {@code per-ip}, {@code per-user}, as in {@code sluice.limits.*}. */
    public String tag() {
        return tag;
    }

    /** How a 429's message names it. */
    String label() {
        return label;
    }

    /** What it counts a minute: {@code requests} or {@code tokens}. */
    String unit() {
        return unit;
    }

    /** Whether each key names its own budget's size, rather than the scope's configuration. */
    boolean sized() {
        return sized;
    }
}
