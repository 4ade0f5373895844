package dev.sluice.gateway.routing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.sluice.gateway.config.InvalidConfigurationException;
import dev.sluice.gateway.provider.Provider;
import dev.sluice.gateway.provider.ProviderRegistry;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import org.springframework.stereotype.Component;

/**
 * Every model name a caller may use: the configured aliases and the direct {@code provider/model}
 * names that providers allow. Checked once at startup so that no request can meet a broken route.
 */
@Component
public class ModelCatalog {

    /** How the model lists mark the demo simulator, so that no one takes it for a language model. */
    public static final String SIMULATOR_DESCRIPTION = "Local token simulator for trying Sluice out, not a language model";

    private final ProviderRegistry providers;
    private final Map<String, Route> aliases;

    public ModelCatalog(AliasesProperties properties, ProviderRegistry providers) {
        this.providers = providers;
        Map<String, Route> routes = new LinkedHashMap<>();
        new TreeMap<>(properties.aliases()).forEach((name, alias) -> routes.put(name, build(name, alias)));
        this.aliases = Collections.unmodifiableMap(routes);
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
                return Route.direct(model, direct);
            }
        }
        throw new GatewayException(ErrorCode.MODEL_NOT_FOUND,
                "The model '" + model + "' does not exist or is not available to you; GET /v1/models lists the models you may use",
                "model", null);
    }

    public boolean isAlias(String name) {
        return aliases.containsKey(name);
    }

    /** Aliases first, then the direct models providers list by name ({@code "*"} allows any, but lists none). */
    public List<ModelEntry> models() {
        List<ModelEntry> models = new ArrayList<>();
        aliases.values().forEach(route -> models.add(new ModelEntry(route.name(), "sluice", simulated(route))));
        for (Provider provider : providers.all()) {
            for (String model : provider.properties().models()) {
                if (!model.equals("*")) {
                    models.add(new ModelEntry(provider.name() + "/" + model, provider.name(), provider.isSimulator()));
                }
            }
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
