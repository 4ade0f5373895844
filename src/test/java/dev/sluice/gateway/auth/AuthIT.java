package dev.sluice.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.UUID;

import dev.sluice.gateway.auth.apikey.ApiKeys;
import dev.sluice.gateway.testing.IntegrationTest;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.Keys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/** Accounts, access tokens, API keys and roles, with anonymous access off as in production. */
@TestPropertySource(properties = {"sluice.auth.anonymous=false", "sluice.auth.jwt-secret=" + AuthIT.SECRET,
        "sluice.auth.bootstrap-admin.email=" + AuthIT.ADMIN, "sluice.auth.bootstrap-admin.password=" + AuthIT.ADMIN_PASSWORD})
@ExtendWith(OutputCaptureExtension.class)
class AuthIT extends IntegrationTest {

    static final String SECRET = "integration-test-secret-of-at-least-32-bytes";
    static final String ADMIN = "boss@admins.example";
    static final String ADMIN_PASSWORD = "the boss password";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Autowired
    DatabaseClient database;

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

    /**
     * The chat chain has no authorization filter of its own (issue 13: it costs on every chat): the authentication
     * filter alone must name a caller or refuse, for every chat path and every kind of missing or bad credential.
     */
    @Test
    void everyChatPathRefusesAChatWithoutAValidCredentialBeforeAnythingGoesUpstream() {
        String anonymousToken = Jwts.builder().issuer("sluice").subject(Caller.ANONYMOUS_ID.toString())
                .expiration(Date.from(Instant.now().plusSeconds(600)))
                .signWith(Keys.hmacShaKeyFor(SECRET.getBytes(StandardCharsets.UTF_8))).compact();
        Map<String, String> bodies = Map.of(
                "/v1/chat/completions", "{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                "/v1/messages", "{\"model\":\"fake\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                "/api/v1/chat", "{\"model\":\"fake\",\"prompt\":\"Hi\"}");
        String[][] credentials = {{}, {"Authorization", "Bearer "}, {"Authorization", "Bearer not-a-credential"},
                {"Authorization", "Basic dXNlcjpwYXNz"}, {"Authorization", "Bearer " + ApiKeys.PREFIX + "x".repeat(43)},
                {"x-api-key", ApiKeys.PREFIX + "y".repeat(43)}, {"Authorization", "Bearer " + anonymousToken}};

        bodies.forEach((path, body) -> {
            for (String[] credential : credentials) {
                WebTestClient.RequestBodySpec request = web.post().uri(path).contentType(MediaType.APPLICATION_JSON);
                if (credential.length == 2) {
                    request = request.header(credential[0], credential[1]);
                }
                request.bodyValue(body).exchange()
                        .expectStatus().value(status -> assertThat(status)
                                .as(path + " with " + String.join(": ", credential)).isEqualTo(401));
            }
        });
        assertThat(upstream.requests()).as("nothing went upstream").isZero();
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
    void anApiKeyInXApiKeyWorksAsItDoesAsBearerOnEveryApiAsAnthropicClientsSendIt() {
        String token = token(register(uniqueEmail(), "password-x"));
        String key = body(web.post().uri("/api/v1/keys").header("Authorization", "Bearer " + token)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("name", "claude-code"))
                .exchange().expectStatus().isCreated()).path("key").asString();
        String chat = "{\"model\":\"fake\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

        web.post().uri("/v1/messages").header("x-api-key", key).header("anthropic-version", "2023-06-01")
                .contentType(MediaType.APPLICATION_JSON).bodyValue(chat).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.type").isEqualTo("message");
        web.get().uri("/v1/models").header("x-api-key", key).exchange().expectStatus().isOk();
        web.get().uri("/api/v1/keys").header("x-api-key", token).exchange().expectStatus().isOk();

        web.post().uri("/v1/messages").header("x-api-key", key + "x").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(chat).exchange()
                .expectStatus().isUnauthorized()
                .expectBody()
                .jsonPath("$.type").isEqualTo("error")
                .jsonPath("$.error.type").isEqualTo("authentication_error");
        web.post().uri("/v1/messages").contentType(MediaType.APPLICATION_JSON).bodyValue(chat).exchange()
                .expectStatus().isUnauthorized()
                .expectBody().jsonPath("$.error.message").value(message -> assertThat((String) message)
                        .as("says where a credential goes").contains("x-api-key"));
        assertThat(upstream.requests()).as("only the authenticated chat went upstream").isEqualTo(1);
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
        String admin = login(ADMIN, ADMIN_PASSWORD).path("access_token").asString();
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

    @Test
    void anAdminGrantsTheRoleAndADemotedAdminsTokenAndKeyLoseItAtOnce() {
        String admin = login(ADMIN, ADMIN_PASSWORD).path("access_token").asString();
        JsonNode account = register(uniqueEmail(), "password-1");
        String id = account.path("id").asString();

        setRole(admin, id, "{\"role\":\"ADMIN\"}").expectStatus().isOk()
                .expectBody().jsonPath("$.role").isEqualTo("ADMIN").jsonPath("$.id").isEqualTo(id);
        String promoted = token(account);
        String key = body(web.post().uri("/api/v1/keys").header("Authorization", "Bearer " + promoted)
                .exchange().expectStatus().isCreated()).path("key").asString();
        for (String credential : new String[] {promoted, key}) {
            web.get().uri("/api/v1/admin/usage").header("Authorization", "Bearer " + credential).exchange()
                    .expectStatus().value(status -> assertThat(status).as("a promoted account's new token and its key").isEqualTo(200));
        }

        setRole(admin, id, "{\"role\":\"user\"}").expectStatus().isOk().expectBody().jsonPath("$.role").isEqualTo("USER");
        for (String credential : new String[] {promoted, key}) {
            web.get().uri("/api/v1/admin/usage").header("Authorization", "Bearer " + credential).exchange()
                    .expectStatus().value(status -> assertThat(status).as("the token still says ADMIN, the account no longer does").isEqualTo(403));
            web.get().uri("/v1/models").header("Authorization", "Bearer " + credential).exchange()
                    .expectStatus().value(status -> assertThat(status).as("still a user").isEqualTo(200));
        }
    }

    @Test
    void aRoleChangeNeedsAnAdminAKnownUserAndARealRole() {
        String admin = login(ADMIN, ADMIN_PASSWORD).path("access_token").asString();
        String user = token(register(uniqueEmail(), "password-1"));
        String id = UUID.randomUUID().toString();

        setRole(user, id, "{\"role\":\"ADMIN\"}").expectStatus().isForbidden();
        setRole(admin, id, "{\"role\":\"ADMIN\"}").expectStatus().isNotFound()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        setRole(admin, "not-an-id", "{\"role\":\"ADMIN\"}").expectStatus().isNotFound();
        setRole(admin, Caller.ANONYMOUS_ID.toString(), "{\"role\":\"ADMIN\"}").expectStatus().value(status -> assertThat(status).as("the anonymous user has no role to give").isEqualTo(404));
        for (String bad : new String[] {"{\"role\":\"ROOT\"}", "{\"role\":null}", "{}"}) {
            setRole(admin, id, bad).expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.detail").value(detail -> assertThat((String) detail).startsWith("role"));
        }
    }

    @Test
    void theBootstrapAdminIsAnAdminFromTheStart() {
        JsonNode login = login(ADMIN, ADMIN_PASSWORD);
        web.get().uri("/api/v1/admin/usage").header("Authorization", "Bearer " + login.path("access_token").asString())
                .exchange().expectStatus().isOk();
        web.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", ADMIN, "password", "someone else's"))
                .exchange().expectStatus().value(status -> assertThat(status).as("its email cannot be taken").isEqualTo(409));
    }

    @Test
    void tokensWithoutSubjectOrExpiryOrForTheAnonymousUserAre401NotA500() {
        javax.crypto.SecretKey key = Keys.hmacShaKeyFor(SECRET.getBytes(StandardCharsets.UTF_8));
        Date later = Date.from(Instant.now().plusSeconds(600));
        String noSubject = Jwts.builder().issuer("sluice").claim("email", "x@y.z").expiration(later).signWith(key).compact();
        String noExpiry = Jwts.builder().issuer("sluice").subject(UUID.randomUUID().toString()).signWith(key).compact();
        String anonymous = Jwts.builder().issuer("sluice").subject(Caller.ANONYMOUS_ID.toString()).expiration(later)
                .signWith(key).compact();

        for (String token : new String[] {noSubject, noExpiry, anonymous}) {
            for (String path : new String[] {"/v1/models", "/api/v1/quota", "/api/v1/keys"}) {
                web.get().uri(path).header("Authorization", "Bearer " + token).exchange()
                        .expectStatus().value(status -> assertThat(status).as(path).isEqualTo(401));
            }
        }
    }

    @Test
    void aNulInTheEmailPasswordOrKeyNameIsA400NamingTheField() {
        web.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", "nul\u0000" + uniqueEmail(), "password", "long enough"))
                .exchange().expectStatus().isBadRequest()
                .expectBody().jsonPath("$.detail").value(detail -> assertThat((String) detail).startsWith("email"));
        web.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", uniqueEmail(), "password", "long\u0000enough"))
                .exchange().expectStatus().isBadRequest()
                .expectBody().jsonPath("$.detail").value(detail -> assertThat((String) detail).startsWith("password"));
        web.post().uri("/api/v1/auth/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", "nul\u0000@example.com", "password", "long enough"))
                .exchange().expectStatus().isUnauthorized();

        String token = token(register(uniqueEmail(), "password-1"));
        web.post().uri("/api/v1/keys").header("Authorization", "Bearer " + token).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"name\":\"lap\\u0000top\"}")
                .exchange().expectStatus().isBadRequest()
                .expectBody().jsonPath("$.detail").value(detail -> assertThat((String) detail).startsWith("name"));
        for (String body : new String[] {"{\"name\":null}", "null", "{}"}) {
            web.post().uri("/api/v1/keys").header("Authorization", "Bearer " + token).contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(body).exchange().expectStatus().value(status -> assertThat(status).as(body).isEqualTo(201))
                    .expectBody().jsonPath("$.name").isEqualTo("default");
        }
    }

    @Test
    void afterFiveFailedLoginsForOneEmailTheNextWaitsWithAGrowingRetryAfter() {
        String email = uniqueEmail();
        register(email, "right password");
        for (int i = 0; i < 5; i++) {
            loginFails(email, "wrong password");
        }

        String first = web.post().uri("/api/v1/auth/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", "right password"))
                .exchange().expectStatus().isEqualTo(429)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                // Every 429 names a budget (design §3): here the address's, which login spends before the account waits.
                .expectHeader().exists("X-RateLimit-Limit")
                .expectHeader().exists("X-RateLimit-Remaining")
                .expectHeader().exists("X-RateLimit-Reset")
                .returnResult(String.class).getResponseHeaders().getFirst("Retry-After");
        assertThat(Long.parseLong(first)).as("even the right password waits: guessing must not go on").isBetween(1L, 2L);
        web.post().uri("/api/v1/auth/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", uniqueEmail(), "password", "right password"))
                .exchange().expectStatus().value(status -> assertThat(status).as("other accounts are not held up").isEqualTo(401));
    }

    @Test
    void keysThatAreNotShapedLikeKeysOrUnknownAreRefusedAndAnUnknownOneIsRemembered() {
        String unknown = "sk-sluice-" + "A".repeat(22) + UUID.randomUUID().toString().replace("-", "").substring(0, 21);
        web.get().uri("/v1/models").header("Authorization", "Bearer " + unknown).exchange().expectStatus().isUnauthorized();
        JsonNode account = register(uniqueEmail(), "password-1");
        database.sql("INSERT INTO api_keys (id, user_id, name, prefix, key_hash, created_at)"
                        + " VALUES (:id, :user, 'planted', 'sk-sluice-AAAA', :hash, CURRENT_TIMESTAMP)")
                .bind("id", UUID.randomUUID()).bind("user", UUID.fromString(account.path("id").asString()))
                .bind("hash", sha256(unknown))
                .then().block(Duration.ofSeconds(10));

        web.get().uri("/v1/models").header("Authorization", "Bearer " + unknown).exchange()
                .expectStatus().value(status -> assertThat(status).as("remembered as unknown: no second query for it").isEqualTo(401));
        for (String odd : new String[] {"sk-sluice-", "sk-sluice-short", "sk-sluice-" + "x".repeat(500), unknown + "!"}) {
            web.get().uri("/v1/models").header("Authorization", "Bearer " + odd).exchange().expectStatus().isUnauthorized();
        }
    }

    private WebTestClient.ResponseSpec setRole(String token, String id, String body) {
        return web.put().uri("/api/v1/admin/users/" + id + "/role").header("Authorization", "Bearer " + token)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    private JsonNode register(String email, String password) {
        passwords.put(email, password);
        return body(web.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", password))
                .exchange().expectStatus().isCreated());
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

    private static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        }
        catch (java.security.NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private static String base64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
