package dev.sluice.gateway.security;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import dev.sluice.gateway.testing.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 12, point 1 at volume: a thousand sign-ups with admin-looking emails, every one of them listed in the
 * setting that once made an email an admin ({@code sluice.auth.admin-emails}, now without effect), and none
 * becomes admin. Cheap BCrypt here, so that the thousand accounts take seconds rather than minutes.
 */
@TestPropertySource(properties = {"sluice.auth.password-strength=4",
        "sluice.auth.bootstrap-admin.email=" + SecurityRegressionAdminIT.ADMIN,
        "sluice.auth.bootstrap-admin.password=" + SecurityRegressionAdminIT.PASSWORD})
class SecurityRegressionAdminIT extends IntegrationTest {

    static final String ADMIN = "bootstrap-admin@security-regression.example";
    static final String PASSWORD = "security regression password";
    private static final int SIGN_UPS = 1_000;
    private static final String[] ADMIN_NAMES = {"admin", "ops", "root", "administrator", "sysadmin", "security"};
    /** This run's: the database outlives runs, and a taken email would only be a 409. */
    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    private static final Duration TIMEOUT = Duration.ofMinutes(5);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @DynamicPropertySource
    static void formerAdminList(DynamicPropertyRegistry registry) {
        registry.add("sluice.auth.admin-emails", () -> String.join(",", emails()));
    }

    @Test
    void aThousandSignUpsWithAdminEmailsMakeNoAdminAndTheGatewayStaysHealthy() {
        WebClient client = client();

        List<Integer> adminAnswers = Flux.fromIterable(emails())
                .flatMap(email -> post(client, "/api/v1/auth/register", email)
                        .then(post(client, "/api/v1/auth/login", email))
                        .map(login -> JSON.readTree(login).path("access_token").asString())
                        .flatMap(token -> client.get().uri("/api/v1/admin/usage")
                                .header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
                                .exchangeToMono(response -> response.releaseBody().thenReturn(response.statusCode().value()))), 16)
                .collectList()
                .block(TIMEOUT);

        assertThat(adminAnswers).as("every sign-up made an account that logs in").hasSize(SIGN_UPS);
        assertThat(adminAnswers).as("and none of them is an admin").containsOnly(403);
        web.get().uri("/ready").exchange().expectStatus().isOk();
        String user = login(client, "user-" + UUID.randomUUID() + "@example.com", true);
        web.post().uri("/api/v1/chat").header(HttpHeaders.AUTHORIZATION, "Bearer " + user)
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"model\":\"fake\",\"prompt\":\"Hi\",\"stream\":false}")
                .exchange().expectStatus().isOk();
    }

    @Test
    void onlyAnAdminMakesAnAdmin() {
        WebClient client = client();
        String email = "admin+" + UUID.randomUUID() + "@example.com";
        String candidate = login(client, email, true);
        JsonNode claims = JSON.readTree(java.util.Base64.getUrlDecoder().decode(candidate.split("\\.")[1]));
        String id = claims.path("sub").asString();
        String admin = login(client, ADMIN, false);

        web.put().uri("/api/v1/admin/users/" + id + "/role").header(HttpHeaders.AUTHORIZATION, "Bearer " + candidate)
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"role\":\"ADMIN\"}")
                .exchange().expectStatus().isForbidden();
        web.put().uri("/api/v1/admin/users/" + id + "/role").header(HttpHeaders.AUTHORIZATION, "Bearer " + admin)
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"role\":\"ADMIN\"}")
                .exchange().expectStatus().isOk();
        web.get().uri("/api/v1/admin/usage").header(HttpHeaders.AUTHORIZATION, "Bearer " + login(client, email, false))
                .exchange().expectStatus().isOk();
    }

    private static List<String> emails() {
        return IntStream.range(0, SIGN_UPS)
                .mapToObj(i -> ADMIN_NAMES[i % ADMIN_NAMES.length] + (i < ADMIN_NAMES.length ? "" : "" + i)
                        + "@" + RUN + "." + (i % 2 == 0 ? "example.com" : "sluice.dev"))
                .toList();
    }

    private static String login(WebClient client, String email, boolean register) {
        Mono<String> registered = register ? post(client, "/api/v1/auth/register", email) : Mono.just("");
        return JSON.readTree(registered.then(post(client, "/api/v1/auth/login", email)).block(TIMEOUT))
                .path("access_token").asString();
    }

    private static Mono<String> post(WebClient client, String path, String email) {
        return client.post().uri(path).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", PASSWORD))
                .retrieve().bodyToMono(String.class);
    }
}
