package dev.sluice.gateway.routing;

import java.util.List;

/** The models a {@code "*"} provider lists itself, as last fetched: what the model lists show of it. */
@FunctionalInterface
public interface UpstreamModels {

    /** The provider's own model names, without the {@code provider/} prefix; empty until a fetch succeeds. */
    List<String> of(String provider);
}
