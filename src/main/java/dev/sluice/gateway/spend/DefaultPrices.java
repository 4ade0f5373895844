package dev.sluice.gateway.spend;

import java.util.Map;

import dev.sluice.gateway.provider.ProviderType;

/**
 * List prices of common models (USD per million tokens: input, cached input, output), by the wire protocol of the
 * provider that serves them, as the vendors published them in 2025. They apply to a provider of that type that has
 * no price of its own for the model; configuration overrides them (README, "Spend and budgets"). OpenAI-compatible
 * vendors other than OpenAI (Groq, OpenRouter, vLLM, ...) share the {@code openai} type but not its model names,
 * so their models stay unpriced until configured. Cached input is a prompt-cache read; Anthropic's cache writes
 * are billed at the input price here.
 */
final class DefaultPrices {

    static final Map<ProviderType, Map<String, Price>> TABLE = Map.of(
            ProviderType.OPENAI, Map.ofEntries(
                    Map.entry("gpt-4o", Price.of("2.50", "1.25", "10.00")),
                    Map.entry("gpt-4o-mini", Price.of("0.15", "0.075", "0.60")),
                    Map.entry("gpt-4.1", Price.of("2.00", "0.50", "8.00")),
                    Map.entry("gpt-4.1-mini", Price.of("0.40", "0.10", "1.60")),
                    Map.entry("gpt-4.1-nano", Price.of("0.10", "0.025", "0.40")),
                    Map.entry("gpt-5", Price.of("1.25", "0.125", "10.00")),
                    Map.entry("gpt-5-mini", Price.of("0.25", "0.025", "2.00")),
                    Map.entry("gpt-5-nano", Price.of("0.05", "0.005", "0.40")),
                    Map.entry("o3", Price.of("2.00", "0.50", "8.00")),
                    Map.entry("o3-mini", Price.of("1.10", "0.55", "4.40")),
                    Map.entry("o4-mini", Price.of("1.10", "0.275", "4.40")),
                    Map.entry("text-embedding-3-small", Price.of("0.02", "0.02", "0")),
                    Map.entry("text-embedding-3-large", Price.of("0.13", "0.13", "0"))),
            ProviderType.ANTHROPIC, Map.ofEntries(
                    Map.entry("claude-opus-4", Price.of("15.00", "1.50", "75.00")),
                    Map.entry("claude-opus-4-1", Price.of("15.00", "1.50", "75.00")),
                    Map.entry("claude-opus-4-5", Price.of("5.00", "0.50", "25.00")),
                    Map.entry("claude-sonnet-4", Price.of("3.00", "0.30", "15.00")),
                    Map.entry("claude-sonnet-4-5", Price.of("3.00", "0.30", "15.00")),
                    Map.entry("claude-3-7-sonnet", Price.of("3.00", "0.30", "15.00")),
                    Map.entry("claude-haiku-4-5", Price.of("1.00", "0.10", "5.00")),
                    Map.entry("claude-3-5-haiku", Price.of("0.80", "0.08", "4.00"))),
            ProviderType.GEMINI, Map.ofEntries(
                    Map.entry("gemini-2.5-pro", Price.of("1.25", "0.125", "10.00")),
                    Map.entry("gemini-2.5-flash", Price.of("0.30", "0.03", "2.50")),
                    Map.entry("gemini-2.5-flash-lite", Price.of("0.10", "0.01", "0.40")),
                    Map.entry("gemini-2.0-flash", Price.of("0.10", "0.025", "0.40")),
                    Map.entry("gemini-2.0-flash-lite", Price.of("0.075", "0.075", "0.30")),
                    Map.entry("gemini-embedding-001", Price.of("0.15", "0.15", "0"))));

    private DefaultPrices() {
    }
}
