package dev.sluice.gateway.status;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

import dev.sluice.gateway.provider.Provider;
import dev.sluice.gateway.provider.ProviderRegistry;
import dev.sluice.gateway.provider.ProviderType;
import dev.sluice.gateway.provider.key.KeyPool;
import dev.sluice.gateway.routing.ModelNames;
import dev.sluice.gateway.routing.RoutingProperties;
import dev.sluice.gateway.routing.UpstreamModels;
import io.netty.handler.codec.http.HttpHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The model lists of the {@code "*"} providers, fetched with one of their keys through the status probe's
 * client ({@link ProviderProbe#fetch}) at startup and every {@code sluice.routing.model-list-refresh} after.
 * A fetch that fails (unreachable, a refusal, a timeout, an oversized or unreadable answer) keeps the last good
 * list, so the model lists never fail or empty because a provider has a bad minute.
 * <p>
 * OpenAI-compatible and Anthropic providers answer {@code {"data":[{"id":...}]}}; Gemini answers
 * {@code {"models":[{"name":"models/..."}]}}, of which only the models that generate content are kept. One page
 * of at most {@value #MAX_MODELS} models is read: a provider listing more shows its first ones.
 */
@Component
public class UpstreamModelLists implements UpstreamModels, SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(UpstreamModelLists.class);
    /** Most models kept per provider: a model picker of more is no use, and the list stays small in memory. */
    static final int MAX_MODELS = 1000;
    /** Most bytes read of one answer; a thousand entries of OpenRouter's verbose list fit with room to spare. */
    static final int MAX_BYTES = 8 * 1024 * 1024;
    /** The name a key is leased for: the fetch is nobody's chat, so no model's cooldown applies to it. */
    private static final String LEASE_MODEL = "GET /models";

    private final List<Listing> listings;
    private final ProviderProbe probe;
    private final JsonMapper json;
    private final Duration refresh;
    private final Map<String, List<String>> lists = new ConcurrentHashMap<>();
    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    private volatile Disposable schedule;
    private volatile boolean running;

    @Autowired
    public UpstreamModelLists(ProviderRegistry providers, RoutingProperties routing, JsonMapper json) {
        this(listings(providers, routing), new ProviderProbe(), json, routing.modelListRefresh());
    }

    UpstreamModelLists(List<Listing> listings, ProviderProbe probe, JsonMapper json, Duration refresh) {
        this.listings = List.copyOf(listings);
        this.probe = probe;
        this.json = json;
        this.refresh = refresh;
    }

    @Override
    public List<String> of(String provider) {
        return lists.getOrDefault(provider, List.of());
    }

    /**
     * A fetch of every list at once and then one every refresh interval. A round that outlasts the interval is
     * followed by one at once, never by a queue of them: the tick it missed is kept, not dropped, so no list
     * waits a whole interval more for a round that was only late.
     */
    Flux<Void> refreshes() {
        if (listings.isEmpty()) {
            return Flux.empty();
        }
        return Flux.interval(Duration.ZERO, refresh).onBackpressureLatest().concatMap(tick -> refresh(), 0);
    }

    /** Fetches every list once, side by side; completes when each has been kept or found failing. */
    public Mono<Void> refresh() {
        return Flux.fromIterable(listings).flatMap(this::refresh, 4).then();
    }

    private Mono<Void> refresh(Listing listing) {
        return Mono.defer(() -> {
            KeyPool.Lease lease = listing.keys().acquire(LEASE_MODEL);
            if (lease == null) {
                return Mono.error(new IllegalStateException("every key is resting or refused"));
            }
            return probe.fetch(listing.uri(), headers -> listing.credentials().accept(headers, lease.key()),
                            listing.timeout(), MAX_BYTES)
                    .map(body -> parse(listing.type(), body))
                    .doFinally(signal -> lease.release());
        }).doOnNext(models -> {
            lists.put(listing.name(), models);
            if (failing.remove(listing.name())) {
                log.info("Provider '{}' lists its models again ({} of them)", listing.name(), models.size());
            }
        }).onErrorResume(error -> {
            // Log changes only: a provider down for a day is one line, not one per refresh.
            if (failing.add(listing.name())) {
                log.warn("Could not fetch the model list of provider '{}' ({}); the model lists keep its last {} models",
                        listing.name(), error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage(),
                        of(listing.name()).size());
            }
            return Mono.empty();
        }).then();
    }

    /** The model names of an answer, each once, at most {@link #MAX_MODELS}; names Sluice would refuse are left out. */
    List<String> parse(ProviderType type, byte[] body) {
        JsonNode root = json.readTree(body);
        boolean gemini = type == ProviderType.GEMINI;
        JsonNode entries = root.path(gemini ? "models" : "data");
        if (!entries.isArray()) {
            throw new IllegalStateException("the answer holds no model list");
        }
        Set<String> names = new LinkedHashSet<>();
        for (JsonNode entry : entries) {
            String name = gemini ? geminiName(entry) : entry.path("id").isString() ? entry.path("id").asString() : null;
            if (name != null && ModelNames.isValid(name)) {
                names.add(name);
                if (names.size() == MAX_MODELS) {
                    break;
                }
            }
        }
        return List.copyOf(names);
    }

    /** {@code models/gemini-2.5-flash} as {@code gemini-2.5-flash}, or {@code null} for a model that cannot chat. */
    private static String geminiName(JsonNode entry) {
        JsonNode methods = entry.path("supportedGenerationMethods");
        boolean chats = !methods.isArray() || methods.valueStream().anyMatch(method -> method.asString().equals("generateContent"));
        String name = entry.path("name").isString() ? entry.path("name").asString() : null;
        if (!chats || name == null) {
            return null;
        }
        return name.startsWith("models/") ? name.substring("models/".length()) : name;
    }

    @Override
    public void start() {
        schedule = refreshes().subscribe(done -> { },
                error -> log.error("Model list refreshes stopped; the model lists keep what they last fetched", error));
        running = true;
    }

    @Override
    public void stop() {
        Disposable refreshing = schedule;
        if (refreshing != null) {
            refreshing.dispose();
        }
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Every {@code "*"} provider on the network; the demo simulator lists its own models by name. */
    private static List<Listing> listings(ProviderRegistry providers, RoutingProperties routing) {
        List<Listing> listings = new ArrayList<>();
        for (Provider provider : providers.all()) {
            if (!provider.isSimulator() && provider.properties().models().contains("*")) {
                Duration timeout = provider.properties().timeouts().connect().plus(routing.modelListTimeout());
                listings.add(new Listing(provider.name(), provider.properties().type(), uri(provider), provider.keys(),
                        provider.credentials(), timeout));
            }
        }
        return listings;
    }

    /** {@code {base-url}/models}, asking Anthropic and Gemini, which page their lists, for their largest page. */
    static URI uri(Provider provider) {
        URI models = ProbeTarget.modelsUri(provider.baseUrl());
        return switch (provider.properties().type()) {
            case ANTHROPIC -> URI.create(models + "?limit=" + MAX_MODELS);
            case GEMINI -> URI.create(models + "?pageSize=" + MAX_MODELS);
            default -> models;
        };
    }

    /**
     * One provider's list: where it is and how to ask for it.
     *
     * @param credentials adds a key to the request's headers, as the provider's protocol sends it
     * @param timeout longest wait for the answer, connecting included
     */
    record Listing(String name, ProviderType type, URI uri, KeyPool keys,
            BiConsumer<HttpHeaders, String> credentials, Duration timeout) {
    }
}
