package dev.sluice.gateway.agent;

/** A named persona: requests for it go to {@code alias} with {@code systemPrompt} in front. */
public record Agent(String name, String alias, String systemPrompt, String description) {
}
