package dev.sluice.gateway.routing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.auth.KeyScope;
import dev.sluice.gateway.config.InvalidConfigurationException;
import dev.sluice.gateway.provider.Provider;
import dev.sluice.gateway.provider.ProviderRegistry;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Every model name a caller may use: the configured aliases and the direct {@code provider/model}
 * names that providers allow, to the callers {@code sluice.routing.direct-models} lets use them. Checked
 * once at startup so that no request can meet a broken route. For a {@code "*"} provider the lists also show
 * the models the provider lists itself ({@link UpstreamModels}); those stay unlisted names for metrics.
 */
@Component
public class ModelCatalog {

    /** How the model lists mark the demo simulator, so that no one takes it for a language model. */
    public static final String SIMULATOR_DESCRIPTION = "Local token simulator for trying Sluice out, not a language model";

    private final ProviderRegistry providers;
    private final Map<String, Route> aliases;
    /** The direct names providers list by name, as opposed to any name a {@code "*"} lets through. */
    private final Set<String> listedDirect;
    private final RoutingProperties.DirectModels directModels;
    private final UpstreamModels upstream;

    public ModelCatalog(AliasesProperties properties, ProviderRegistry providers, RoutingProperties routing,
            UpstreamModels upstream) {
        this.providers = providers;
        this.upstream = upstream;
        Map<String, Route> routes = new LinkedHashMap<>();
        new TreeMap<>(properties.aliases()).forEach((name, alias) -> routes.put(name, build(name, alias)));
        this.aliases = Collections.unmodifiableMap(routes);
        Set<String> listed = new HashSet<>();
        for (Provider provider : providers.all()) {
            provider.properties().models().stream().filter(model -> !model.equals("*"))
                    .forEach(model -> listed.add(provider.name() + "/" + model));
        }
        this.listedDirect = Set.copyOf(listed);
        this.directModels = routing.directModels();
    }

    /** The route for a model name, or 404 when the name is neither an alias nor an allowed direct model. */
    public Route resolve(String model) {
        Route alias = aliases.get(model);
        if (alias != null) {
            return alias;
        }
        Target direct = Target.parse(model);
        if (direct != null) {
            Provider provider = providers.find(direct.provider()).orElse(null);
            if (provider != null && provider.properties().allowsDirect(direct.model())) {
                return Route.direct(model, direct, listedDirect.contains(model));
            }
        }
        throw new GatewayException(ErrorCode.MODEL_NOT_FOUND,
                "The model '" + model + "' does not exist or is not available to you; GET /v1/models lists the models you may use",
                "model", null);
    }

    /**
     * Completes when {@code caller} may use this route, else fails with a 403: a key scoped to some models may use
     * those names only; otherwise every caller may use an alias, and a direct model as
     * {@code sluice.routing.direct-models} says.
     */
    public Mono<Void> permit(Caller caller, Route route) {
        KeyScope scope = caller.scope();
        if (!scope.allows(route.name())) {
            return Mono.error(new GatewayException(ErrorCode.FORBIDDEN, "The model '" + route.name()
                    + "' is not in this API key's models " + scope.models().stream().sorted().toList()
                    + "; use one of them, or a key whose models include it", "model", null));
        }
        if (!route.direct() || mayUseDirectModels(caller)) {
            return Mono.empty();
        }
        return Mono.error(new GatewayException(ErrorCode.FORBIDDEN, "Direct provider/model names are "
                + (directModels == RoutingProperties.DirectModels.NONE ? "turned off" : "for admins only")
                + " on this gateway; use an alias (GET /v1/models lists them)", "model", null));
    }

    public boolean isAlias(String name) {
        return aliases.containsKey(name);
    }

    /** Whether a model name is in the configuration: an alias, or a direct model a provider lists by name. */
    public boolean isListed(String name) {
        return aliases.containsKey(name) || listedDirect.contains(name);
    }

    /** The models the caller of the request may use, as {@link #models()} lists them: its key's only, if scoped. */
    public Mono<List<ModelEntry>> modelsForCaller() {
        return Caller.current().defaultIfEmpty(Caller.ANONYMOUS).map(caller -> {
            boolean direct = mayUseDirectModels(caller);
            KeyScope scope = caller.scope();
            if (direct && scope.models() == null) {
                return models();
            }
            return models().stream()
                    .filter(entry -> (direct || aliases.containsKey(entry.id())) && scope.allows(entry.id()))
                    .toList();
        });
    }

    private boolean mayUseDirectModels(Caller caller) {
        return directModels == RoutingProperties.DirectModels.ALL
                || (directModels == RoutingProperties.DirectModels.ADMINS && caller.isAdmin());
    }

    /**
     * Aliases first, then each provider's direct models: those it lists by name, and for {@code "*"} the ones
     * it last said it serves, each name once.
     */
    public List<ModelEntry> models() {
        List<ModelEntry> models = new ArrayList<>();
        aliases.values().forEach(route -> models.add(new ModelEntry(route.name(), "sluice", simulated(route))));
        for (Provider provider : providers.all()) {
            Set<String> names = new LinkedHashSet<>();
            List<String> configured = provider.properties().models();
            configured.stream().filter(model -> !model.equals("*")).forEach(names::add);
            if (configured.contains("*")) {
                names.addAll(upstream.of(provider.name()));
            }
            names.forEach(model -> models.add(new ModelEntry(provider.name() + "/" + model, provider.name(),
                    provider.isSimulator())));
        }
        return models;
    }

    private boolean simulated(Route route) {
        return route.targets().stream().allMatch(target -> providers.find(target.provider())
                .map(Provider::isSimulator).orElse(false));
    }

    private Route build(String name, AliasesProperties.AliasProperties alias) {
        String property = "sluice.aliases." + name;
        if (name.contains("/")) {
            throw new InvalidConfigurationException(property, "an alias name may not contain '/', which marks direct provider/model names");
        }
        List<Target> targets = new ArrayList<>();
        for (int i = 0; i < alias.targets().size(); i++) {
            String spec = alias.targets().get(i);
            Target target = Target.parse(spec);
            String where = property + ".targets[" + i + "]";
            if (target == null) {
                throw new InvalidConfigurationException(where, "'" + spec + "' is not of the form provider/model");
            }
            if (providers.find(target.provider()).isEmpty()) {
                throw new InvalidConfigurationException(where, "unknown provider '" + target.provider()
                        + "' (configured: " + providers.all().stream().map(Provider::name).toList() + ")");
            }
            targets.add(target);
        }
        List<Integer> weights = alias.weights();
        if (weights != null && !weights.isEmpty()) {
            if (weights.size() != targets.size() || weights.stream().anyMatch(weight -> weight == null || weight <= 0)) {
                throw new InvalidConfigurationException(property + ".weights", "needs one positive weight per target ("
                        + targets.size() + " targets)");
            }
        }
        return new Route(name, alias.strategy(), targets, weights);
    }

    /** A model name callers may use; {@code simulated} marks the demo simulator so no one takes it for an LLM. */
    public record ModelEntry(String id, String ownedBy, boolean simulated) {
    }
}
