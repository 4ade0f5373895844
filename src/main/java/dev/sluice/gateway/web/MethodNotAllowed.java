package dev.sluice.gateway.web;

import org.springframework.http.HttpMethod;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/** Functional routes answer 404 for a known path with the wrong method; this makes it the 405 it is. */
public final class MethodNotAllowed {

    private MethodNotAllowed() {
    }

    /** A route, added after the real ones, that answers every other method on {@code path} with 405. */
    public static RouterFunction<ServerResponse> otherThan(HttpMethod allowed, String path) {
        return RouterFunctions.route(RequestPredicates.path(path), request -> Mono.error(new GatewayException(
                ErrorCode.METHOD_NOT_ALLOWED, "Method " + request.method() + " is not allowed on " + path + "; use " + allowed)));
    }
}
