package dev.sluice.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.UUID;

import dev.sluice.gateway.testing.IntegrationTest;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.Keys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/** Accounts, access tokens and API keys, with anonymous access off as in production. */
@TestPropertySource(properties = {"sluice.auth.anonymous=false", "sluice.auth.jwt-secret=" + AuthIT.SECRET,
        "sluice.auth.admin-emails=boss@admins.example"})
@ExtendWith(OutputCaptureExtension.class)
class AuthIT extends IntegrationTest {

    static final String SECRET = "integration-test-secret-of-at-least-32-bytes";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void registerLoginAndCallWithTheAccessToken() {
        String email = uniqueEmail();

        web.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", "correct horse"))
                .exchange()
                .expectStatus().isCreated()
                .expectBody().jsonPath("$.email").isEqualTo(email).jsonPath("$.id").isNotEmpty();
        JsonNode login = login(email, "correct horse");

        assertThat(login.path("token_type").asString()).isEqualTo("bearer");
        assertThat(login.path("expires_in").asLong()).isEqualTo(3600);
        web.get().uri("/v1/models").header("Authorization", "Bearer " + login.path("access_token").asString())
                .exchange().expectStatus().isOk();
    }

    @Test
    void withoutCredentialsTheApisAnswer401InTheirShape() {
        web.get().uri("/v1/models").exchange()
                .expectStatus().isUnauthorized()
                .expectBody().jsonPath("$.error.type").isEqualTo("authentication_error");
        web.get().uri("/api/v1/models").exchange()
                .expectStatus().isUnauthorized()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        web.get().uri("/ready").exchange().expectStatus().isOk();
    }

    @Test
    void aSecondAccountWithTheSameEmailIsRefused() {
        String email = uniqueEmail();
        register(email, "password-1");

        web.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email.toUpperCase(), "password", "password-2"))
                .exchange()
                .expectStatus().isEqualTo(409);
    }

    @Test
    void badRegistrationsNameTheField() {
        web.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", "not-an-email", "password", "long enough"))
                .exchange().expectStatus().isBadRequest()
                .expectBody().jsonPath("$.detail").value(detail -> assertThat((String) detail).startsWith("email"));
        web.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", uniqueEmail(), "password", "short"))
                .exchange().expectStatus().isBadRequest()
                .expectBody().jsonPath("$.detail").value(detail -> assertThat((String) detail).startsWith("password"));
    }

    @Test
    void aWrongPasswordAndAnUnknownEmailGetTheSame401() {
        String email = uniqueEmail();
        register(email, "right password");

        String wrongPassword = loginFails(email, "wrong password");
        String unknownEmail = loginFails(uniqueEmail(), "right password");

        assertThat(wrongPassword).isEqualTo(unknownEmail).isEqualTo("Invalid email or password");
    }

    @Test
    void forgedExpiredAndMalformedTokensAre401() {
        UUID id = UUID.fromString(register(uniqueEmail(), "password-1").path("id").asString());
        Instant now = Instant.now();
        String unsigned = base64("{\"alg\":\"none\"}") + "." + base64("{\"iss\":\"sluice\",\"sub\":\"" + id
                + "\",\"email\":\"boss@admins.example\",\"exp\":" + (now.getEpochSecond() + 600) + "}") + ".";
        String otherKey = Jwts.builder().issuer("sluice").subject(id.toString()).claim("email", "x@y.z")
                .expiration(Date.from(now.plusSeconds(600)))
                .signWith(Keys.hmacShaKeyFor("another-secret-of-at-least-thirty-two-bytes".getBytes(StandardCharsets.UTF_8)))
                .compact();
        String expired = Jwts.builder().issuer("sluice").subject(id.toString()).claim("email", "x@y.z")
                .issuedAt(Date.from(now.minusSeconds(7200))).expiration(Date.from(now.minusSeconds(3600)))
                .signWith(Keys.hmacShaKeyFor(SECRET.getBytes(StandardCharsets.UTF_8)))
                .compact();
        String otherIssuer = Jwts.builder().issuer("someone-else").subject(id.toString()).claim("email", "x@y.z")
                .expiration(Date.from(now.plusSeconds(600)))
                .signWith(Keys.hmacShaKeyFor(SECRET.getBytes(StandardCharsets.UTF_8)))
                .compact();

        for (String token : new String[] {unsigned, otherKey, expired, otherIssuer, "not.a.token", "garbage", "sk-sluice-nope"}) {
            web.get().uri("/v1/models").header("Authorization", "Bearer " + token).exchange()
                    .expectStatus().isUnauthorized();
        }
    }

    @Test
    void anApiKeyIsShownOnceWorksAndStopsWorkingWhenRevoked() {
        String token = token(register(uniqueEmail(), "password-1"));

        JsonNode created = body(web.post().uri("/api/v1/keys").header("Authorization", "Bearer " + token)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("name", "laptop"))
                .exchange().expectStatus().isCreated());
        String key = created.path("key").asString();
        assertThat(key).startsWith("sk-sluice-").hasSizeGreaterThan(40);
        assertThat(key).startsWith(created.path("prefix").asString());

        web.get().uri("/v1/models").header("Authorization", "Bearer " + key).exchange().expectStatus().isOk();
        String listed = new String(web.get().uri("/api/v1/keys").header("Authorization", "Bearer " + token).exchange()
                .expectStatus().isOk().expectBody().returnResult().getResponseBodyContent(), StandardCharsets.UTF_8);
        assertThat(listed).as("the list shows the prefix, never the key").contains(created.path("prefix").asString())
                .doesNotContain(key);

        web.delete().uri("/api/v1/keys/" + created.path("id").asString()).header("Authorization", "Bearer " + token)
                .exchange().expectStatus().isNoContent();
        web.get().uri("/v1/models").header("Authorization", "Bearer " + key).exchange().expectStatus().isUnauthorized();
    }

    @Test
    void anotherUsersKeyCannotBeRevoked() {
        String alice = token(register(uniqueEmail(), "password-1"));
        String bob = token(register(uniqueEmail(), "password-2"));
        JsonNode aliceKey = body(web.post().uri("/api/v1/keys").header("Authorization", "Bearer " + alice)
                .exchange().expectStatus().isCreated());

        web.delete().uri("/api/v1/keys/" + aliceKey.path("id").asString()).header("Authorization", "Bearer " + bob)
                .exchange().expectStatus().isNotFound();
        web.get().uri("/v1/models").header("Authorization", "Bearer " + aliceKey.path("key").asString())
                .exchange().expectStatus().isOk();
    }

    @Test
    void adminEndpointsNeedTheAdminRole() {
        String user = token(register(uniqueEmail(), "password-1"));

        web.get().uri("/api/v1/admin/usage").header("Authorization", "Bearer " + user).exchange()
                .expectStatus().isForbidden()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        String admin = registerOrLogin("boss@admins.example", "the boss password").path("access_token").asString();
        web.get().uri("/api/v1/admin/usage").header("Authorization", "Bearer " + admin).exchange()
                .expectStatus().value(status -> assertThat(status).as("past the role check").isNotIn(401, 403));
    }

    @Test
    void noPasswordKeyOrTokenEverReachesTheLogsOrAnErrorBody(CapturedOutput output) {
        String email = uniqueEmail();
        String password = "secret-password-" + UUID.randomUUID();
        String token = token(register(email, password));
        String key = body(web.post().uri("/api/v1/keys").header("Authorization", "Bearer " + token)
                .exchange().expectStatus().isCreated()).path("key").asString();
        String failedLogin = loginFails(email, password + "-wrong");
        String badKeyBody = new String(web.get().uri("/v1/models").header("Authorization", "Bearer " + key + "x")
                .exchange().expectStatus().isUnauthorized().expectBody().returnResult().getResponseBodyContent(),
                StandardCharsets.UTF_8);

        for (String secret : new String[] {password, key, token}) {
            assertThat(output.getAll()).as("logs").doesNotContain(secret);
            assertThat(failedLogin + badKeyBody).as("error bodies").doesNotContain(secret);
        }
    }

    private JsonNode register(String email, String password) {
        passwords.put(email, password);
        return body(web.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", password))
                .exchange().expectStatus().isCreated());
    }

    private JsonNode registerOrLogin(String email, String password) {
        web.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", password)).exchange();
        return login(email, password);
    }

    private String token(JsonNode account) {
        return login(account.path("email").asString(), passwords.get(account.path("email").asString())).path("access_token").asString();
    }

    private final Map<String, String> passwords = new java.util.HashMap<>();

    private JsonNode login(String email, String password) {
        return body(web.post().uri("/api/v1/auth/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", password))
                .exchange().expectStatus().isOk());
    }

    private String loginFails(String email, String password) {
        return body(web.post().uri("/api/v1/auth/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", password))
                .exchange().expectStatus().isUnauthorized()).path("detail").asString();
    }

    private static JsonNode body(WebTestClient.ResponseSpec response) {
        return JSON.readTree(response.expectBody().returnResult().getResponseBodyContent());
    }

    private static String uniqueEmail() {
        return "user-" + UUID.randomUUID() + "@example.com";
    }

    private static String base64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
