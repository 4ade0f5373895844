package dev.sluice.gateway.routing;

import java.util.List;
import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The model names callers use ({@code sluice.aliases.<alias>.*}), each a fallback chain of targets.
 *
 * @param aliases each alias's route, keyed by the name callers put in {@code model}
 */
@Validated
@ConfigurationProperties("sluice")
public record AliasesProperties(Map<String, @Valid AliasProperties> aliases) {

    public AliasesProperties {
        aliases = aliases == null ? Map.of() : Map.copyOf(aliases);
    }

    /**
     * @param strategy how to order the targets for each request: ordered, least-latency or weighted
     * @param targets {@code provider/model} targets; the ones after the first are fallbacks
     * @param weights for the weighted strategy, one positive weight per target (equal when unset)
     */
    public record AliasProperties(@DefaultValue("ordered") RouteStrategy strategy, @NotEmpty List<String> targets,
            List<Integer> weights) {
    }
}
