package dev.sluice.gateway.routing;

import java.time.Duration;

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
 */
@Validated
@ConfigurationProperties("sluice.routing")
public record RoutingProperties(
        @DefaultValue("1") @PositiveOrZero int retries,
        @DefaultValue("200ms") @NotNull Duration backoff,
        @DefaultValue("2s") @NotNull Duration maxBackoff,
        @DefaultValue("30s") @NotNull Duration keyCooldown,
        @DefaultValue("60s") @NotNull Duration maxRetryAfter,
        @DefaultValue("all") @NotNull DirectModels directModels) {

    /** Who may use direct {@code provider/model} names; aliases are open to every caller. */
    public enum DirectModels { ALL, ADMINS, NONE }
}
