package dev.sluice.gateway.routing;

/** One place a request can be sent: a provider and that provider's own model name. */
public record Target(String provider, String model) {

    /** Reads {@code provider/model}; the model part may itself contain slashes (OpenRouter's do). */
    public static Target parse(String spec) {
        int slash = spec == null ? -1 : spec.indexOf('/');
        if (slash <= 0 || slash == spec.length() - 1) {
            return null;
        }
        return new Target(spec.substring(0, slash), spec.substring(slash + 1));
    }

    @Override
    public String toString() {
        return provider + "/" + model;
    }
}
