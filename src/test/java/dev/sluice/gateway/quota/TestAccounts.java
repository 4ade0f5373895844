package dev.sluice.gateway.quota;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Accounts made through the API, as a client would (the quota and embeddings tests' users); the database is shared across runs, so emails are unique. */
public final class TestAccounts {

    public static final String PASSWORD = "quota test password";
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private TestAccounts() {
    }

    public record Account(UUID id, String email, String token) {

        public String bearer() {
            return "Bearer " + token;
        }
    }

    static String uniqueEmail() {
        return "quota-" + UUID.randomUUID() + "@example.com";
    }

    /** A new account, logged in. */
    public static Account register(String baseUrl) {
        String email = uniqueEmail();
        post(baseUrl, "/api/v1/auth/register", email);
        return login(baseUrl, email);
    }

    /** This account, made if it does not exist yet (admins have fixed emails, and earlier runs made them). */
    public static Account registerOrLogin(String baseUrl, String email) {
        try {
            post(baseUrl, "/api/v1/auth/register", email);
        }
        catch (RuntimeException exists) {
            // 409: an earlier run registered it
        }
        return login(baseUrl, email);
    }

    private static Account login(String baseUrl, String email) {
        JsonNode login = JSON.readTree(post(baseUrl, "/api/v1/auth/login", email));
        String token = login.path("access_token").asString();
        JsonNode claims = JSON.readTree(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]));
        return new Account(UUID.fromString(claims.path("sub").asString()), email, token);
    }

    private static String post(String baseUrl, String path, String email) {
        return WebClient.create(baseUrl).post().uri(path).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", PASSWORD))
                .retrieve().bodyToMono(String.class).block(TIMEOUT);
    }
}
