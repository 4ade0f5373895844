package dev.sluice.gateway.provider;

import java.net.URI;

import dev.sluice.gateway.provider.key.KeyPool;

/**
 * A configured upstream, ready to call.
 *
 * @param baseUrl the API it talks to: the configured base URL or its protocol's default; {@code null} for the demo
 */
public record Provider(String name, ProviderProperties properties, URI baseUrl, ProviderClient client, KeyPool keys) {

    public boolean isSimulator() {
        return properties.type() == ProviderType.DEMO;
    }
}
