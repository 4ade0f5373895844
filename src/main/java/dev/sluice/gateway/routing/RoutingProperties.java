package dev.sluice.gateway.routing;

import java.time.Duration;

import dev.sluice.gateway.config.InvalidConfigurationException;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.PositiveOrZero;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * How a request walks its route ({@code sluice.routing.*}).
 *
 * @param retries further tries on the same target after a 5xx, a connection error or a first-token timeout, before falling back
 * @param backoff first pause before a retry; it doubles with each retry, with jitter
 * @param maxBackoff longest pause before a retry
 * @param keyCooldown how long a key rests after a 429 that did not say how long (no Retry-After)
 * @param maxRetryAfter longest a key rests after a 429, whatever its Retry-After asks: the rest is shared by every replica
 * @param directModels who may ask for direct {@code provider/model} names: all callers, admins only, or none
 * @param modelListRefresh how often the model list of each {@code "*"} provider is fetched from its {@code GET /models} for the model lists
 * @param modelListTimeout longest wait for one such fetch, connecting included; a failed fetch keeps the last list
 */
@Validated
@ConfigurationProperties("sluice.routing")
public record RoutingProperties(
        @DefaultValue("1") @PositiveOrZero int retries,
        @DefaultValue("200ms") @NotNull Duration backoff,
        @DefaultValue("2s") @NotNull Duration maxBackoff,
        @DefaultValue("30s") @NotNull Duration keyCooldown,
        @DefaultValue("60s") @NotNull Duration maxRetryAfter,
        @DefaultValue("all") @NotNull DirectModels directModels,
        @DefaultValue("5m") @NotNull Duration modelListRefresh,
        @DefaultValue("10s") @NotNull Duration modelListTimeout) {

    public RoutingProperties {
        if (modelListRefresh != null && (modelListRefresh.isNegative() || modelListRefresh.isZero())) {
            throw new InvalidConfigurationException("sluice.routing.model-list-refresh", "must be positive");
        }
        if (modelListTimeout != null && (modelListTimeout.isNegative() || modelListTimeout.isZero())) {
            throw new InvalidConfigurationException("sluice.routing.model-list-timeout", "must be positive");
        }
    }

    /** Who may use direct {@code provider/model} names; aliases are open to every caller. */
    public enum DirectModels { ALL, ADMINS, NONE }
}
