package dev.sluice.gateway.provider;

import java.net.URI;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

import dev.sluice.gateway.config.InvalidConfigurationException;
import dev.sluice.gateway.provider.anthropic.AnthropicProtocol;
import dev.sluice.gateway.provider.demo.DemoProviderClient;
import dev.sluice.gateway.provider.gemini.GeminiProtocol;
import dev.sluice.gateway.provider.http.EventStreamClient;
import dev.sluice.gateway.provider.http.WireProtocol;
import dev.sluice.gateway.provider.key.KeyPool;
import dev.sluice.gateway.provider.openai.OpenAiProtocol;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.netty.resources.LoopResources;
import tools.jackson.databind.json.JsonMapper;

/** Builds one client per configured provider at startup, refusing configurations it cannot serve. */
@Component
public class ProviderRegistry implements DisposableBean {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");

    private final Map<String, Provider> providers;

    /** @param resources the HTTP server's event loops, which the providers' connections share (EventStreamClient) */
    public ProviderRegistry(ProvidersProperties properties, JsonMapper jsonMapper, ReactorResourceFactory resources) {
        Map<String, Provider> built = new LinkedHashMap<>();
        new TreeMap<>(properties.providers()).forEach((name, settings) ->
                built.put(name, build(name, settings, jsonMapper, resources.getLoopResources())));
        this.providers = Collections.unmodifiableMap(built);
    }

    public Optional<Provider> find(String name) {
        return Optional.ofNullable(providers.get(name));
    }

    public Collection<Provider> all() {
        return providers.values();
    }

    private static Provider build(String name, ProviderProperties settings, JsonMapper jsonMapper, LoopResources loops) {
        String property = "sluice.providers." + name;
        if (!NAME.matcher(name).matches()) {
            throw new InvalidConfigurationException(property, "a provider name may only hold letters, digits, '.', '_' and '-'");
        }
        ProviderProperties.Timeouts timeouts = settings.timeouts();
        if (timeouts.idle().compareTo(timeouts.firstToken()) < 0) {
            throw new InvalidConfigurationException(property + ".timeouts.idle", "must be at least timeouts.first-token ("
                    + timeouts.firstToken() + "): the idle timer also runs while the first token is awaited");
        }
        if (settings.wholeReplies() && settings.type() != ProviderType.OPENAI) {
            throw new InvalidConfigurationException(property + ".whole-replies",
                    "only an openai provider can be asked for whole replies; the others are always streamed");
        }
        WireProtocol protocol = switch (settings.type()) {
            case OPENAI -> {
                checkBaseUrl(property, settings, true, "an openai provider needs an absolute base URL, e.g. https://api.openai.com/v1");
                requireKeys(property, settings, "an openai provider needs at least one non-blank API key"
                        + " (local servers such as Ollama accept any, e.g. 'none')");
                yield OpenAiProtocol.of(settings.baseUrl(), settings.replyCapParameter(), jsonMapper);
            }
            case ANTHROPIC -> {
                checkBaseUrl(property, settings, false, "must be absolute, e.g. " + AnthropicProtocol.DEFAULT_BASE_URL);
                requireKeys(property, settings, "an anthropic provider needs at least one non-blank API key");
                yield AnthropicProtocol.of(settings.baseUrl(), jsonMapper);
            }
            case GEMINI -> {
                checkBaseUrl(property, settings, false, "must be absolute, e.g. " + GeminiProtocol.DEFAULT_BASE_URL);
                requireKeys(property, settings, "a gemini provider needs at least one non-blank API key");
                yield GeminiProtocol.of(settings.baseUrl(), jsonMapper);
            }
            case DEMO -> null;
        };
        if (protocol == null) {
            return new Provider(name, settings, baseUrl(settings), new DemoProviderClient(settings.tokenInterval()), null,
                    new KeyPool(name, settings.apiKeys()), (headers, key) -> { });
        }
        EventStreamClient client = new EventStreamClient(name, settings, jsonMapper, protocol, loops);
        return new Provider(name, settings, baseUrl(settings), client, client, new KeyPool(name, settings.apiKeys()),
                protocol.headers());
    }

    private static URI baseUrl(ProviderProperties settings) {
        if (settings.baseUrl() != null) {
            return settings.baseUrl();
        }
        return switch (settings.type()) {
            case ANTHROPIC -> AnthropicProtocol.DEFAULT_BASE_URL;
            case GEMINI -> GeminiProtocol.DEFAULT_BASE_URL;
            case OPENAI, DEMO -> null;
        };
    }

    /** An absolute base URL; anthropic and gemini may leave it out for the vendor's own API. */
    private static void checkBaseUrl(String property, ProviderProperties settings, boolean required, String why) {
        if (settings.baseUrl() == null ? required : settings.baseUrl().getHost() == null) {
            throw new InvalidConfigurationException(property + ".base-url", why);
        }
    }

    private static void requireKeys(String property, ProviderProperties settings, String why) {
        if (settings.apiKeys().isEmpty() || settings.apiKeys().stream().anyMatch(key -> key == null || key.isBlank())) {
            throw new InvalidConfigurationException(property + ".api-keys", why);
        }
    }

    @Override
    public void destroy() {
        providers.values().forEach(provider -> {
            if (provider.client() instanceof Disposable disposable) {
                disposable.dispose();
            }
        });
    }
}
