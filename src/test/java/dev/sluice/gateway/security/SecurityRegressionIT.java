package dev.sluice.gateway.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.sluice.gateway.SluiceApplication;
import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.config.InvalidConfigurationException;
import dev.sluice.gateway.conversation.HistoryWrite;
import dev.sluice.gateway.conversation.HistoryWriter;
import dev.sluice.gateway.testing.ExternalServices;
import dev.sluice.gateway.testing.IntegrationTest;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.Result;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
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

    @Autowired
    HistoryWriter writer;

    /**
     * A conversation this replica does not remember is loaded from the database, within
     * {@code sluice.history.load-timeout} (2 s): a database that does not answer makes the chat a 503 with
     * {@code Retry-After}, not a request that waits as long as the database does. Not a chat without its context,
     * which would answer another question than the one asked.
     */
    @Test
    void aConversationWhoseContextTheDatabaseDoesNotGiveInTimeIsA503() {
        UUID conversation = UUID.randomUUID();
        assertThat(writer.offer(List.of(
                new HistoryWrite.NewConversation(conversation, Caller.ANONYMOUS_ID, "Stalled", OffsetDateTime.now()),
                new HistoryWrite.Message(UUID.randomUUID(), conversation, Caller.ANONYMOUS_ID, "user", "Earlier", "fake", null,
                        null, null, null, null, null, "ok", null, OffsetDateTime.now())))).isTrue();
        assertThat(writer.flush(Duration.ofSeconds(10))).isTrue();
        Connection locker = Mono.from(ConnectionFactories.get(ExternalServices.get().r2dbcUrl()).create()).block();
        try {
            // The database stalls on messages: whoever reads them waits for this transaction.
            Mono.from(locker.beginTransaction()).block();
            Flux.from(locker.createStatement("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE").execute())
                    .flatMap(Result::getRowsUpdated).blockLast();

            long started = System.nanoTime();
            web.mutate().responseTimeout(Duration.ofSeconds(20)).build()
                    .post().uri("/api/v1/chat").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue("{\"model\":\"fake\",\"prompt\":\"Next\",\"conversation_id\":\"" + conversation + "\"}")
                    .exchange()
                    .expectStatus().isEqualTo(503)
                    .expectHeader().exists(HttpHeaders.RETRY_AFTER);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("answered at the load timeout, not later")
                    .isLessThan(Duration.ofSeconds(10));
            assertThat(upstream.requests()).as("nothing went upstream without its context").isZero();
        }
        finally {
            Mono.from(locker.rollbackTransaction()).block();
            Mono.from(locker.close()).block();
        }
    }

    // --- 5. A 403 for content disables no key ------------------------------------------------------------------

    // --- 6. Token quotas cannot be overspent --------------------------------------------------------------------

    // --- 7. Model names are bounded ---------------------------------------------------------------------------
}
