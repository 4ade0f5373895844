package dev.sluice.gateway.auth.apikey;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.sluice.gateway.SluiceApplication;
import dev.sluice.gateway.testing.ExternalServices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two replicas on the same PostgreSQL and Redis: a key revoked on one stops working on the other within a second,
 * though the other had it in memory (for {@link ApiKeys#REMEMBERED}); so does a key's changed scope.
 */
class RevokedKeyAcrossReplicasIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final String PASSWORD = "revocation test password";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final List<ConfigurableApplicationContext> replicas = new ArrayList<>();

    @AfterEach
    void stop() {
        replicas.forEach(ConfigurableApplicationContext::close);
    }

    @Test
    void aKeyRevokedOnOneReplicaIsRefusedByTheOtherWithinASecond() {
        WebClient first = WebClient.create(replica());
        WebClient second = WebClient.create(replica());
        String email = "revoke-" + UUID.randomUUID() + "@example.com";
        post(first, "/api/v1/auth/register", Map.of("email", email, "password", PASSWORD), null);
        String token = post(first, "/api/v1/auth/login", Map.of("email", email, "password", PASSWORD), null)
                .path("access_token").asString();
        JsonNode key = post(first, "/api/v1/keys", Map.of("name", "shared"), token);
        String apiKey = key.path("key").asString();
        assertThat(status(second, apiKey)).as("the second replica now remembers the key").isEqualTo(200);

        first.delete().uri("/api/v1/keys/" + key.path("id").asString()).header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
                .retrieve().toBodilessEntity().block(TIMEOUT);

        await("the other replica refusing the revoked key").atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(50))
                .until(() -> status(second, apiKey) == 401);
    }

    @Test
    void aKeysModelsChangedOnOneReplicaHoldOnTheOtherWithinASecond() {
        WebClient first = WebClient.create(replica());
        WebClient second = WebClient.create(replica());
        String email = "rescope-" + UUID.randomUUID() + "@example.com";
        post(first, "/api/v1/auth/register", Map.of("email", email, "password", PASSWORD), null);
        String token = post(first, "/api/v1/auth/login", Map.of("email", email, "password", PASSWORD), null)
                .path("access_token").asString();
        JsonNode key = post(first, "/api/v1/keys", Map.of("name", "rescoped"), token);
        String apiKey = key.path("key").asString();
        assertThat(models(second, apiKey)).as("the second replica now remembers the unscoped key").contains("demo");

        first.patch().uri("/api/v1/keys/" + key.path("id").asString()).header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"models\":[\"nothing-else\"]}")
                .retrieve().toBodilessEntity().block(TIMEOUT);

        await("the other replica applying the key's new models").atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(50))
                .until(() -> models(second, apiKey).isEmpty());
    }

    /** The ids {@code GET /v1/models} lists for the key. */
    private static List<String> models(WebClient client, String apiKey) {
        String list = client.get().uri("/v1/models").header(HttpHeaders.AUTHORIZATION, "Bearer " + apiKey)
                .retrieve().bodyToMono(String.class).block(TIMEOUT);
        return JSON.readTree(list).path("data").findValuesAsString("id");
    }

    private static int status(WebClient client, String apiKey) {
        return client.get().uri("/v1/models").header(HttpHeaders.AUTHORIZATION, "Bearer " + apiKey)
                .exchangeToMono(response -> response.releaseBody().thenReturn(response.statusCode().value()))
                .block(TIMEOUT);
    }

    private static JsonNode post(WebClient client, String path, Map<String, String> body, String token) {
        WebClient.RequestBodySpec request = client.post().uri(path).contentType(MediaType.APPLICATION_JSON);
        if (token != null) {
            request.header(HttpHeaders.AUTHORIZATION, "Bearer " + token);
        }
        return JSON.readTree(request.bodyValue(body).retrieve().bodyToMono(String.class).block(TIMEOUT));
    }

    private String replica() {
        List<String> args = new ArrayList<>(List.of("--server.port=0", "--sluice.auth.anonymous=false",
                // Both replicas must accept the tokens either one issues.
                "--sluice.auth.jwt-secret=revocation-replicas-test-secret-of-32-bytes-or-more",
                "--sluice.auth.password-strength=4", "--sluice.status.probe-interval=0s",
                "--sluice.limits.per-ip.requests-per-minute=100000", "--sluice.limits.per-user.requests-per-minute=100000"));
        for (Map.Entry<String, Object> property : ExternalServices.get().springProperties().entrySet()) {
            args.add("--" + property.getKey() + "=" + property.getValue());
        }
        ConfigurableApplicationContext context = new SpringApplicationBuilder(SluiceApplication.class)
                .run(args.toArray(String[]::new));
        replicas.add(context);
        return "http://127.0.0.1:" + ((WebServerApplicationContext) context).getWebServer().getPort();
    }
}
