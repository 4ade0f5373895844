package dev.sluice.gateway.status;

import java.net.URI;
import java.time.Duration;
import java.util.function.BiConsumer;

import dev.sluice.gateway.provider.Provider;
import dev.sluice.gateway.provider.key.KeyPool;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * How to find out whether a provider takes its refused keys again: an authenticated {@code GET} of its model
 * list with each one, which every API Sluice speaks serves and which spends no tokens.
 *
 * @param uri the model list, {@code {base-url}/models}
 * @param credentials adds a key to the request's headers, as the provider's protocol sends it
 * @param timeout longest wait for an answer, connecting included
 */
record KeyRecheck(String name, KeyPool keys, URI uri, BiConsumer<HttpHeaders, String> credentials, Duration timeout) {

    /** The check for a provider that has keys and a network API; {@code null} for others. */
    static KeyRecheck of(Provider provider, StatusProperties properties) {
        if (provider.isSimulator() || provider.keys().isEmpty()) {
            return null;
        }
        Duration timeout = provider.properties().timeouts().connect().plus(properties.probeTimeout());
        return new KeyRecheck(provider.name(), provider.keys(), ProbeTarget.modelsUri(provider.baseUrl()),
                provider.credentials(), timeout);
    }
}
