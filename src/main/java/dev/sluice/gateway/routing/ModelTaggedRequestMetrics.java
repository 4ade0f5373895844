package dev.sluice.gateway.routing;

import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import org.springframework.http.server.reactive.observation.DefaultServerRequestObservationConvention;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.stereotype.Component;

/**
 * Spring's {@code http.server.requests} with one more tag, {@code model}: the alias or {@code provider/model}
 * a chat asked for when the configuration names it, {@value Route#OTHER} for any other name a provider's
 * {@code "*"} let through, and {@code none} for other requests and for chats refused before their model was
 * found. The tag's values are bounded by the configuration, whatever callers send.
 */
@Component
public class ModelTaggedRequestMetrics extends DefaultServerRequestObservationConvention {

    private static final KeyValue NO_MODEL = KeyValue.of("model", "none");
    private static final KeyValue OTHER_MODEL = KeyValue.of("model", Route.OTHER);

    private final ModelCatalog catalog;

    public ModelTaggedRequestMetrics(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    @Override
    public KeyValues getLowCardinalityKeyValues(ServerRequestObservationContext context) {
        Object trace = context.getAttributes().get(RouteTrace.ATTRIBUTE);
        String model = trace instanceof RouteTrace routed ? routed.route() : null;
        KeyValue tag = model == null ? NO_MODEL : catalog.isListed(model) ? KeyValue.of("model", model) : OTHER_MODEL;
        return super.getLowCardinalityKeyValues(context).and(tag);
    }
}
