package dev.sluice.gateway.status;

import java.net.URI;
import java.time.Duration;

import dev.sluice.gateway.provider.Provider;
import dev.sluice.gateway.provider.http.WireProtocol;

/**
 * What to probe for one provider: the URI of its model list, or nothing on the network for the in-process
 * demo simulator, which is always there.
 *
 * @param uri {@code GET} target, {@code null} for an in-process provider
 * @param timeout longest wait for an answer, connecting included
 */
record ProbeTarget(String name, URI uri, Duration timeout) {

    static ProbeTarget inProcess(String name) {
        return new ProbeTarget(name, null, Duration.ZERO);
    }

    /**
     * The target for a provider: {@code {base-url}/models}, which every API Sluice speaks serves, answering
     * even without a key (a 401 still proves the API is there).
     */
    static ProbeTarget of(Provider provider, StatusProperties properties) {
        if (provider.isSimulator()) {
            return inProcess(provider.name());
        }
        Duration timeout = provider.properties().timeouts().connect().plus(properties.probeTimeout());
        return new ProbeTarget(provider.name(), modelsUri(provider.baseUrl()), timeout);
    }

    static URI modelsUri(URI baseUrl) {
        return WireProtocol.resolve(baseUrl, "/models");
    }

    boolean inProcess() {
        return uri == null;
    }
}
