package dev.sluice.gateway.spend;

import java.util.Map;
import java.util.Optional;

import dev.sluice.gateway.provider.ProviderProperties;
import dev.sluice.gateway.provider.ProviderType;
import dev.sluice.gateway.provider.ProvidersProperties;
import org.springframework.stereotype.Component;

/**
 * The price of a call, first found of: the alias's price for the target's model ({@code sluice.aliases.<a>.prices}),
 * the provider's ({@code sluice.providers.<p>.prices}), the {@link DefaultPrices default table} for the provider's
 * type; the demo simulator is free. A model name in any of them also prices the
 * versions it starts: the name, a {@code -}, then a date, a number or {@code latest} ({@code gpt-4o-2024-08-06},
 * {@code claude-sonnet-4-20250514}, {@code gemini-2.0-flash-001}); the longest such name wins, and another variant
 * ({@code o3-pro}) is a model of its own.
 * Without any, the model is unpriced: its calls are counted as such, never as free.
 */
@Component
public class PriceBook {

    private final PricesProperties prices;
    private final ProvidersProperties providers;

    public PriceBook(PricesProperties prices, ProvidersProperties providers) {
        this.prices = prices;
        this.providers = providers;
    }

    /**
     * The price of {@code model} at {@code provider} when the caller asked for {@code alias} ({@code null}, or the
     * {@code provider/model} itself, for a direct model); empty when unpriced.
     */
    public Optional<Price> price(String alias, String provider, String model) {
        PricesProperties.AliasPrices aliasPrices = alias == null ? null : prices.aliases().get(alias);
        if (aliasPrices != null) {
            Price own = lookUp(aliasPrices.prices(), model);
            if (own != null) {
                return Optional.of(own);
            }
        }
        PricesProperties.ProviderPrices providerPrices = prices.providers().get(provider);
        if (providerPrices != null) {
            Price configured = lookUp(providerPrices.prices(), model);
            if (configured != null) {
                return Optional.of(configured);
            }
        }
        ProviderProperties properties = providers.providers().get(provider);
        ProviderType type = properties == null ? null : properties.type();
        if (type == ProviderType.DEMO) {
            return Optional.of(Price.FREE);
        }
        return Optional.ofNullable(type == null ? null : lookUp(DefaultPrices.TABLE.getOrDefault(type, Map.of()), model));
    }

    /** The price of the name itself, else of the longest name of which {@code model} is a version. */
    static Price lookUp(Map<String, Price> table, String model) {
        Price exact = table.get(model);
        if (exact != null) {
            return exact;
        }
        Price found = null;
        int longest = 0;
        for (Map.Entry<String, Price> entry : table.entrySet()) {
            String name = entry.getKey();
            if (name.length() > longest && isVersion(model, name)) {
                found = entry.getValue();
                longest = name.length();
            }
        }
        return found;
    }

    private static boolean isVersion(String model, String name) {
        if (model.length() < name.length() + 2 || !model.startsWith(name) || model.charAt(name.length()) != '-') {
            return false;
        }
        String version = model.substring(name.length() + 1);
        return Character.isDigit(version.charAt(0)) || version.equals("latest");
    }
}
