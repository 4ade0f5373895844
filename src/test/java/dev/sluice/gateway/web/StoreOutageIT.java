package dev.sluice.gateway.web;

import java.net.URI;
import java.util.List;
import java.util.Map;

import dev.sluice.gateway.testing.CuttableProxy;
import dev.sluice.gateway.testing.ExternalServices;
import dev.sluice.gateway.testing.IntegrationTest;
import io.r2dbc.spi.ConnectionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 12, point 14: with PostgreSQL cut (through a proxy, the shared service keeps running), everything that needs
 * it answers 503 with {@code Retry-After} and a problem body saying the store is unavailable, never a 500.
 */
class StoreOutageIT extends IntegrationTest {

    private static final CuttableProxy proxy = startProxy();
    private static final String PASSWORD = "correct horse battery";

    /** The gateway's pool, through the proxy (a bean: the base class's dynamic properties would override spring.r2dbc.url). */
    @TestConfiguration(proxyBeanMethods = false)
    static class ThroughTheProxy {

        @Bean
        ConnectionFactory connectionFactory() {
            return ExternalServices.get().pooledThrough(proxy.port());
        }
    }

    @AfterEach
    void restore() {
        proxy.restore();
    }

    @Test
    void withPostgresCutEveryEndpointThatNeedsItAnswers503SayingTheStoreIsUnavailable() {
        String email = "store-outage-" + Ids.hex() + "@example.com";
        Map<String, String> credentials = Map.of("email", email, "password", PASSWORD);
        web.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON).bodyValue(credentials)
                .exchange().expectStatus().isCreated();
        String token = (String) web.post().uri("/api/v1/auth/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(credentials).exchange().expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody().get("access_token");
        String conversation = Ids.uuid().toString();
        assertThat(proxy.accepted()).as("the gateway reaches the database through the proxy").isPositive();

        proxy.cut();

        List<EntityExchangeResult<String>> answers = List.of(
                web.post().uri("/api/v1/auth/login").contentType(MediaType.APPLICATION_JSON).bodyValue(credentials)
                        .exchange().expectBody(String.class).returnResult(),
                web.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(Map.of("email", "other-" + email, "password", PASSWORD))
                        .exchange().expectBody(String.class).returnResult(),
                authorized(token, "/api/v1/conversations"),
                authorized(token, "/api/v1/conversations/" + conversation + "/messages"),
                authorized(token, "/api/v1/quota"),
                authorized(token, "/api/v1/keys"),
                web.post().uri("/api/v1/keys").header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
                        .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("name", "during the outage"))
                        .exchange().expectBody(String.class).returnResult());

        for (EntityExchangeResult<String> answer : answers) {
            String request = answer.getMethod() + " " + answer.getUrl().getPath();
            assertThat(answer.getStatus().value()).as("%s: %s", request, answer.getResponseBody()).isEqualTo(503);
            assertThat(answer.getResponseHeaders().getFirst(HttpHeaders.RETRY_AFTER)).as(request).isNotBlank();
            assertThat(answer.getResponseHeaders().getContentType()).as(request)
                    .isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
            assertThat(answer.getResponseBody()).as(request).contains("\"code\":\"store_unavailable\"")
                    .contains("store is unavailable");
        }
        EntityExchangeResult<String> openAi = web.get().uri("/v1/models")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + wellFormedUnknownKey()).exchange()
                .expectBody(String.class).returnResult();
        assertThat(openAi.getStatus().value()).as("an API key not yet cached cannot be checked: %s", openAi.getResponseBody())
                .isEqualTo(503);
        assertThat(openAi.getResponseBody()).as("in OpenAI's shape").contains("\"code\":\"store_unavailable\"");
    }

    private EntityExchangeResult<String> authorized(String token, String path) {
        return web.get().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + token).exchange()
                .expectBody(String.class).returnResult();
    }

    private static CuttableProxy startProxy() {
        try {
            URI direct = URI.create(ExternalServices.get().postgresUrl());
            return new CuttableProxy(direct.getHost(), direct.getPort());
        }
        catch (java.io.IOException failure) {
            throw new java.io.UncheckedIOException(failure);
        }
    }

    /** Shaped like a real key ({@code sk-sluice-} and 43 base64url characters), so only the database can say no. */
    private static String wellFormedUnknownKey() {
        byte[] secret = new byte[32];
        new java.security.SecureRandom().nextBytes(secret);
        return "sk-sluice-" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }
}
