package dev.sluice.gateway.config;

/** A configuration that Sluice refuses to start with; the message names the property and the fix. */
public class InvalidConfigurationException extends RuntimeException {

    private final String property;

    public InvalidConfigurationException(String property, String problem) {
        super(property + ": " + problem);
        this.property = property;
    }

    public String property() {
        return property;
    }
}
