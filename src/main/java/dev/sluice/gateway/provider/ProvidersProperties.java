package dev.sluice.gateway.provider;

import java.util.Map;

import jakarta.validation.Valid;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * The upstreams Sluice may call, by name ({@code sluice.providers.<name>.*}).
 *
 * @param providers each provider's settings, keyed by the name used in targets ({@code name/model})
 */
@Validated
@ConfigurationProperties("sluice")
public record ProvidersProperties(Map<String, @Valid ProviderProperties> providers) {

    public ProvidersProperties {
        providers = providers == null ? Map.of() : Map.copyOf(providers);
    }
}
