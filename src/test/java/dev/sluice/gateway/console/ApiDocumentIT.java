package dev.sluice.gateway.console;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import dev.sluice.gateway.testing.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.io.Resource;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.RequestPredicate;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/** The OpenAPI document describes exactly the routes the gateway has: no route missing, none made up. */
class ApiDocumentIT extends IntegrationTest {

    /** The console's own page is not part of the API. */
    private static final Set<String> NOT_API = Set.of("GET /");
    private static final Set<String> DOCUMENTED_METHODS = Set.of("get", "post", "put", "delete", "patch");

    @Autowired
    List<RouterFunction<?>> routes;

    @Test
    void everyRouteIsInTheDocumentAndEveryOperationInItIsARoute() {
        JsonNode document = web.get().uri("/v3/api-docs").exchange()
                .expectStatus().isOk()
                .expectBody(JsonNode.class).returnResult().getResponseBody();

        assertThat(document.path("openapi").asString()).as("OpenAPI 3.1").startsWith("3.1");
        Set<String> documented = new TreeSet<>();
        for (Map.Entry<String, JsonNode> path : document.path("paths").properties()) {
            for (Map.Entry<String, JsonNode> operation : path.getValue().properties()) {
                if (DOCUMENTED_METHODS.contains(operation.getKey())) {
                    documented.add(operation.getKey().toUpperCase() + " " + path.getKey());
                }
            }
        }
        Set<String> routed = new TreeSet<>();
        routes.forEach(route -> route.accept(new Routes(routed)));
        routed.removeAll(NOT_API);
        assertThat(routed).as("the routes were read from the RouterFunction beans")
                .contains("POST /v1/chat/completions", "POST /api/v1/chat", "DELETE /api/v1/conversations/{id}");

        assertThat(documented).as("the document's operations are the gateway's routes (method and path), both ways")
                .isEqualTo(routed);
    }

    @Test
    void theDocumentIsAnsweredWhateverLanguageTheBrowserAsksFor() {
        // A language not built at startup was built anew on the event loop, a classpath scan that BlockHound turned
        // into a 500 here, and kept beside the others; now every language gets the one document.
        for (String languages : List.of("fr-CA,fr;q=0.9", "de-DE", "ja")) {
            web.get().uri("/v3/api-docs").header(HttpHeaders.ACCEPT_LANGUAGE, languages).exchange()
                    .expectStatus().isOk();
        }
    }

    @Test
    void swaggerUiAtDocsShowsTheDocument() {
        String location = web.get().uri("/docs").exchange()
                .expectStatus().is3xxRedirection()
                .returnResult(Void.class).getResponseHeaders().getLocation().toString();
        web.get().uri(location).exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_HTML)
                .expectHeader().valueEquals("Content-Security-Policy", PublicPageSecurity.API_DOCS_POLICY);
        web.get().uri(location.replace("index.html", "swagger-initializer.js")).exchange()
                .expectStatus().isOk();
        web.get().uri("/v3/api-docs/swagger-config").exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.url").isEqualTo("/v3/api-docs");
    }

    /** Collects "METHOD path" of each route that names one method and one path; catch-alls (405s) name no method. */
    private static final class Routes implements RouterFunctions.Visitor {

        private final Set<String> found;
        private final Deque<String> prefixes = new ArrayDeque<>();

        Routes(Set<String> found) {
            this.found = found;
        }

        @Override
        public void startNested(RequestPredicate predicate) {
            Operation nested = Operation.of(predicate);
            prefixes.addLast(nested.path == null ? "" : nested.path);
        }

        @Override
        public void endNested(RequestPredicate predicate) {
            prefixes.removeLast();
        }

        @Override
        public void route(RequestPredicate predicate, HandlerFunction<?> handlerFunction) {
            Operation operation = Operation.of(predicate);
            if (operation.method != null && operation.path != null && !operation.negated) {
                found.add(operation.method + " " + String.join("", prefixes) + operation.path);
            }
        }

        @Override
        public void resources(Function<ServerRequest, Mono<Resource>> lookupFunction) {
            // the console's files, not the API
        }

        @Override
        public void attributes(Map<String, Object> attributes) {
        }

        @Override
        public void unknown(RouterFunction<?> routerFunction) {
        }
    }

    private static final class Operation implements RequestPredicates.Visitor {

        String method;
        String path;
        boolean negated;

        static Operation of(RequestPredicate predicate) {
            Operation operation = new Operation();
            predicate.accept(operation);
            return operation;
        }

        @Override
        public void method(Set<HttpMethod> methods) {
            method = methods.size() == 1 ? methods.iterator().next().name() : null;
        }

        @Override
        public void path(String pattern) {
            path = pattern;
        }

        @Override
        public void pathExtension(String extension) {
        }

        @Override
        public void header(String name, String value) {
        }

        @Override
        public void queryParam(String name, String value) {
        }

        @Override
        public void version(String version) {
        }

        @Override
        public void startAnd() {
        }

        @Override
        public void and() {
        }

        @Override
        public void endAnd() {
        }

        @Override
        public void startOr() {
        }

        @Override
        public void or() {
        }

        @Override
        public void endOr() {
        }

        @Override
        public void startNegate() {
            negated = true;
        }

        @Override
        public void endNegate() {
        }

        @Override
        public void unknown(RequestPredicate predicate) {
        }
    }
}
