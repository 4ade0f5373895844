package dev.sluice.gateway.security;

import java.util.Map;
import java.util.UUID;

import dev.sluice.gateway.testing.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 12, point 1: with {@code sluice.auth.registration=invite}, only someone with an admin's invite code signs up, once. */
@TestPropertySource(properties = {"sluice.auth.registration=invite", "sluice.auth.password-strength=4",
        "sluice.auth.bootstrap-admin.email=" + SecurityRegressionInviteIT.ADMIN,
        "sluice.auth.bootstrap-admin.password=" + SecurityRegressionInviteIT.PASSWORD})
class SecurityRegressionInviteIT extends IntegrationTest {

    static final String ADMIN = "invite-admin@security-regression.example";
    static final String PASSWORD = "security regression password";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void withoutAValidInviteRegistrationIsA403Problem() {
        for (String invite : new String[] {null, "", "inv-made-up", "x".repeat(1000)}) {
            register(uniqueEmail(), invite).expectStatus().isForbidden()
                    .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody().jsonPath("$.detail").value(detail -> assertThat((String) detail).contains("invite"));
        }
    }

    @Test
    void anAdminsInviteLetsOnePersonSignUpOnceAndOnlyAsAUser() {
        String code = invite(token(ADMIN)).expectStatus().isCreated()
                .expectBody(String.class).returnResult().getResponseBody();
        String invite = JSON.readTree(code).path("code").asString();
        assertThat(JSON.readTree(code).path("expires_at").asString()).isNotEmpty();
        String email = uniqueEmail();
        register(email, invite).expectStatus().isCreated();

        register(uniqueEmail(), invite).expectStatus().value(status -> assertThat(status).as("used up").isEqualTo(403));
        String user = token(email);
        web.get().uri("/api/v1/admin/usage").header(HttpHeaders.AUTHORIZATION, "Bearer " + user).exchange()
                .expectStatus().isForbidden();
        invite(user).expectStatus().value(status -> assertThat(status).as("users make no invites").isEqualTo(403));
    }

    @Test
    void anInviteClaimedForATakenEmailStaysUsable() {
        String invite = JSON.readTree(invite(token(ADMIN)).expectStatus().isCreated().expectBody(String.class)
                .returnResult().getResponseBody()).path("code").asString();

        register(ADMIN, invite).expectStatus().isEqualTo(409);
        register(uniqueEmail(), invite).expectStatus().isCreated();
    }

    private WebTestClient.ResponseSpec invite(String token) {
        return web.post().uri("/api/v1/admin/invites").header(HttpHeaders.AUTHORIZATION, "Bearer " + token).exchange();
    }

    private WebTestClient.ResponseSpec register(String email, String invite) {
        Map<String, String> body = invite == null ? Map.of("email", email, "password", PASSWORD)
                : Map.of("email", email, "password", PASSWORD, "invite", invite);
        return web.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    private String token(String email) {
        return JSON.readTree(web.post().uri("/api/v1/auth/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", PASSWORD)).exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody()).path("access_token").asString();
    }

    private static String uniqueEmail() {
        return "invited-" + UUID.randomUUID() + "@example.com";
    }
}
