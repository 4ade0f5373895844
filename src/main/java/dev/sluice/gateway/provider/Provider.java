package dev.sluice.gateway.provider;

import java.net.URI;
import java.util.function.BiConsumer;

import dev.sluice.gateway.provider.key.KeyPool;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * A configured upstream, ready to call.
 *
 * @param baseUrl the API it talks to: the configured base URL or its protocol's default; {@code null} for the demo
 * @param client streams chats
 * @param jsonClient makes the calls whose reply is one JSON document (embeddings), on the same connections as
 *        {@code client}; {@code null} for the demo, which answers in process
 * @param credentials adds an API key to a request's headers as the provider's protocol sends it, for calls other
 *        than chats (the status probe's check of a refused key); a no-op for the demo
 */
public record Provider(String name, ProviderProperties properties, URI baseUrl, ProviderClient client,
        JsonClient jsonClient, KeyPool keys, BiConsumer<HttpHeaders, String> credentials) {

    public boolean isSimulator() {
        return properties.type() == ProviderType.DEMO;
    }
}
