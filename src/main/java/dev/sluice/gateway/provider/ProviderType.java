package dev.sluice.gateway.provider;

/** The wire protocol a provider speaks. Every OpenAI-compatible vendor is {@link #OPENAI}. */
public enum ProviderType {
    OPENAI, ANTHROPIC, GEMINI, DEMO
}
