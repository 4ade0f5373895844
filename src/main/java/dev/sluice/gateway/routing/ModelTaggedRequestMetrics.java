package dev.sluice.gateway.routing;

import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import org.springframework.http.server.reactive.observation.DefaultServerRequestObservationConvention;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.stereotype.Component;

/**
 * Spring's {@code http.server.requests} with one more tag, {@code model}: the alias or {@code provider/model}
 * a chat asked for, once it was found in the configuration ({@code none} for other requests, and for chats
 * refused before that). Unknown models are refused first, so the tag's values are bounded by the configuration.
 */
@Component
public class ModelTaggedRequestMetrics extends DefaultServerRequestObservationConvention {

    private static final KeyValue NO_MODEL = KeyValue.of("model", "none");

    @Override
    public KeyValues getLowCardinalityKeyValues(ServerRequestObservationContext context) {
        Object trace = context.getAttributes().get(RouteTrace.ATTRIBUTE);
        String model = trace instanceof RouteTrace routed ? routed.route() : null;
        return super.getLowCardinalityKeyValues(context).and(model == null ? NO_MODEL : KeyValue.of("model", model));
    }
}
