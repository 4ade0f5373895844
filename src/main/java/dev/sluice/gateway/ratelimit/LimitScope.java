package dev.sluice.gateway.ratelimit;

/** Which budget a decision is about; its name is what clients read in a 429 and what metrics are tagged with. */
public enum LimitScope {

    PER_IP("per-ip", "per-IP"),
    PER_USER("per-user", "per-user");

    private final String tag;
    private final String label;

    LimitScope(String tag, String label) {
        this.tag = tag;
        this.label = label;
    }

    /** The metric tag and Redis key segment: {@code per-ip}, {@code per-user}, as in {@code sluice.limits.*}. */
    public String tag() {
        return tag;
    }

    /** How a 429's message names it. */
    String label() {
        return label;
    }
}
