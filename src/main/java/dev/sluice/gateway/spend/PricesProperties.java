package dev.sluice.gateway.spend;

import java.util.Map;

import jakarta.validation.Valid;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * The prices configured next to the providers and aliases they belong to ({@code sluice.providers.<p>.prices.<model>}
 * and {@code sluice.aliases.<a>.prices.<model>}), bound here so that routing and providers know nothing of money. A
 * model name with a dot or a slash is written in brackets: {@code "[gpt-4.1]"}, {@code "[meta-llama/llama-3.1-8b]"}.
 *
 * @param providers each provider's prices, by its name
 * @param aliases each alias's prices, by its name
 */
@Validated
@ConfigurationProperties("sluice")
public record PricesProperties(Map<String, @Valid ProviderPrices> providers, Map<String, @Valid AliasPrices> aliases) {

    public PricesProperties {
        providers = providers == null ? Map.of() : Map.copyOf(providers);
        aliases = aliases == null ? Map.of() : Map.copyOf(aliases);
    }

    /**
     * @param prices the provider's models by name; a name also prices its dated versions, so {@code gpt-4o}
     *        prices {@code gpt-4o-2024-08-06} ({@link PriceBook}); these come before the default table
     */
    public record ProviderPrices(Map<String, @Valid Price> prices) {

        public ProviderPrices {
            prices = prices == null ? Map.of() : Map.copyOf(prices);
        }
    }

    /**
     * @param prices what a call through this alias costs, by the model of the target that serves it (the part after
     *        {@code provider/}), over the provider's price of that model
     */
    public record AliasPrices(Map<String, @Valid Price> prices) {

        public AliasPrices {
            prices = prices == null ? Map.of() : Map.copyOf(prices);
        }
    }
}
