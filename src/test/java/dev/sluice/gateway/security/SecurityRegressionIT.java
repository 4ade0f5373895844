package dev.sluice.gateway.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.sluice.gateway.SluiceApplication;
import dev.sluice.gateway.config.InvalidConfigurationException;
import dev.sluice.gateway.testing.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 12's points 1–7, attacked end to end over HTTP against the whole gateway on real PostgreSQL and Redis:
 * each test failed before its fix. Points that need other settings than {@link IntegrationTest}'s (closed
 * registration, a tiny per-IP limit, a second replica) have classes of their own beside this one.
 */
class SecurityRegressionIT extends IntegrationTest {

    // --- 1. Admin by registration -----------------------------------------------------------------------------
    // At volume, and with the role endpoint, in SecurityRegressionAdminIT; registration by invite in SecurityRegressionInviteIT.

    @Test
    void registeringTheShippedExampleAdminsEmailGivesNoAdminRole() {
        // ops@example.com is in .env.example and k8s/configmap.yaml; a fresh suffix, since the database outlives runs.
        String email = "ops+" + UUID.randomUUID() + "@example.com";
        web.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", "first come first served"))
                .exchange().expectStatus().isCreated();
        String token = JsonMapper.builder().build().readTree(web.post().uri("/api/v1/auth/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", "first come first served")).exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody()).path("access_token").asString();

        web.get().uri("/api/v1/admin/usage").header(HttpHeaders.AUTHORIZATION, "Bearer " + token).exchange()
                .expectStatus().isForbidden();
    }

    // --- 2. Known secrets accepted ------------------------------------------------------------------------------
    // The rules themselves in auth/JwtSecretsTests; here, the real application refusing the repository's examples.

    @Test
    void prodRefusesToStartWithTheJwtSecretOfTheRepositorysExamples() throws IOException {
        Matcher env = Pattern.compile("(?m)^SLUICE_AUTH_JWT_SECRET=(.*)$").matcher(Files.readString(Path.of(".env.example")));
        Matcher k8s = Pattern.compile("(?m)^\\s*SLUICE_AUTH_JWT_SECRET:\\s*(.*)$")
                .matcher(Files.readString(Path.of("k8s/secret.example.yaml")));
        assertThat(env.find() && k8s.find()).as("both examples set the secret").isTrue();

        for (String shipped : new String[] {env.group(1).strip(), k8s.group(1).strip()}) {
            assertThatThrownBy(() -> new SpringApplicationBuilder(SluiceApplication.class)
                    .run("--server.port=0", "--spring.profiles.active=prod", "--sluice.auth.jwt-secret=" + shipped).close())
                    .as(shipped).rootCause().isInstanceOf(InvalidConfigurationException.class)
                    .hasMessageContaining("sluice.auth.jwt-secret").hasMessageContaining("openssl rand -base64 48");
        }
    }

    // --- 3. Forwarded headers trusted from anyone ------------------------------------------------------------

    // --- 4. Failed authentication is rate limited; bad keys do not reach the database -------------------------

    // --- 5. A 403 for content disables no key ------------------------------------------------------------------

    // --- 6. Token quotas cannot be overspent --------------------------------------------------------------------

    // --- 7. Model names are bounded ---------------------------------------------------------------------------
}
