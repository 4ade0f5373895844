package dev.sluice.gateway.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import io.swagger.v3.core.util.Yaml31;
import io.swagger.v3.oas.models.OpenAPI;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ClassPathResource;

/**
 * The OpenAPI 3.1 document at {@code /v3/api-docs} (Swagger UI at {@code /docs}) is the maintained file
 * {@code openapi/sluice.yaml}: the routes are {@code RouterFunction}s, which springdoc cannot describe without
 * annotations on each. springdoc serves it; ApiDocumentIT fails when a route and the file disagree.
 */
@Configuration(proxyBeanMethods = false)
class ApiDocument {

    static final String FILE = "openapi/sluice.yaml";

    @Bean
    OpenApiCustomizer maintainedApiDocument() {
        // Read at startup: springdoc builds the document on a request's thread, where file reads must not happen.
        OpenAPI maintained = read();
        return document -> {
            document.setOpenapi(maintained.getOpenapi());
            document.setInfo(maintained.getInfo());
            document.setTags(maintained.getTags());
            document.setSecurity(maintained.getSecurity());
            document.setPaths(maintained.getPaths());
            document.setComponents(maintained.getComponents());
        };
    }

    private static OpenAPI read() {
        try (InputStream in = new ClassPathResource(FILE).getInputStream()) {
            return Yaml31.mapper().readValue(in, OpenAPI.class);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not read the API document " + FILE, ex);
        }
    }
}
