package dev.sluice.gateway.console;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import dev.sluice.bench.Script;
import dev.sluice.gateway.testing.IntegrationTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * The console in a real browser: the machine's own headless Chromium (Debian's {@code chromium}, never a downloaded
 * one) driven by {@code playwright-core} from {@code compat/console-e2e}, whose lockfile {@code ./mvnw verify} installs
 * before the integration tests. Each test scripts the fake upstream, runs one scenario of {@code e2e.mjs}, and checks
 * what the gateway and the fake saw. As in production, anonymous access is off, so the page must log in. Without
 * Chromium these tests are skipped on a workstation and fail under {@code CI=true}.
 *
 * <p>{@code -Dconsole.screenshots=docs} writes the README's screenshots of the chat and status pages.
 */
// The same properties as AuthIT, so that both share one application context.
@TestPropertySource(properties = {"sluice.auth.anonymous=false",
        "sluice.auth.jwt-secret=integration-test-secret-of-at-least-32-bytes",
        "sluice.auth.bootstrap-admin.email=" + ConsoleBrowserIT.ADMIN,
        "sluice.auth.bootstrap-admin.password=" + ConsoleBrowserIT.ADMIN_PASSWORD})
class ConsoleBrowserIT extends IntegrationTest {

    static final String ADMIN = "boss@admins.example";
    static final String ADMIN_PASSWORD = "the boss password";
    private static final Path PROJECT = Path.of("compat", "console-e2e");
    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("SLUICE_TEST_CHROMIUM", "/usr/bin/chromium"));
    private static final Duration LIMIT = Duration.ofSeconds(120);
    private static final String PASSWORD = "a long console password";
    /** Turns of the long conversation: 60 messages, three pages of the console's 20. */
    private static final int LONG_CONVERSATION = 30;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path temp;

    @BeforeAll
    static void browserInstalled() {
        boolean present = Files.isExecutable(CHROMIUM);
        if (!"true".equals(System.getenv("CI"))) {
            assumeThat(present).as("Chromium at %s (apt-get install chromium); skipped outside CI", CHROMIUM).isTrue();
        }
        assertThat(present).as("Chromium at %s: .ci/run installs it; under CI=true a missing browser fails", CHROMIUM)
                .isTrue();
        assertThat(PROJECT.resolve("node_modules/playwright-core/package.json"))
                .as("playwright-core installed by `npm ci` in %s (./mvnw verify runs it in pre-integration-test)", PROJECT)
                .isRegularFile();
    }

    @Test
    void aNewUserStreamsStopsReloadsContinuesRatesAndDeletesAConversation() {
        upstream.enqueue(Script.tokens(2_000).every(Duration.ofMillis(20)), Script.text("Second", " answer"));
        Map<String, Object> arguments = account();
        arguments.put("model", "fake");
        String screenshots = System.getProperty("console.screenshots");
        if (screenshots != null) {
            arguments.put("screenshots", Path.of(screenshots).toAbsolutePath().toString());
        }

        run("journey", arguments);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(upstream.cancelledStreams())
                .as("Stop aborts the fetch, and the gateway cancels the upstream stream").isEqualTo(1));
        List<String> sent = upstream.requestBodies();
        assertThat(sent).as("the stopped reply and the continuation").hasSize(2);
        assertThat(sent.get(1)).as("the continuation carries the first question as context")
                .contains("Count slowly").contains("And now?");
    }

    @Test
    void aLongConversationOpensAtItsNewestMessagesAndLoadsOlderPagesAsTheUserScrollsUp() {
        Map<String, Object> arguments = account();
        register(arguments);
        String token = token((String) arguments.get("email"), PASSWORD);
        String conversation = null;
        for (int turn = 1; turn <= LONG_CONVERSATION; turn++) {
            Map<String, Object> body = new LinkedHashMap<>(Map.of("model", "fake", "prompt", "Question " + turn,
                    "stream", false));
            if (conversation != null) {
                body.put("conversation_id", conversation);
            }
            conversation = web.post().uri("/api/v1/chat").header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
                    .contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                    .exchange()
                    .expectStatus().isOk()
                    .expectBody(JsonNode.class).returnResult().getResponseBody().path("conversation_id").asString();
        }
        String path = "/api/v1/conversations/" + conversation + "/messages?limit=100";
        await().atMost(Duration.ofSeconds(10)).until(() -> web.get().uri(path)
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + token).exchange()
                .expectBody(JsonNode.class).returnResult().getResponseBody().path("items").size() == 2 * LONG_CONVERSATION);
        arguments.put("turns", LONG_CONVERSATION);

        JsonNode result = run("older", arguments);

        assertThat(result.path("firstShown").asInt()).as("only the newest pages at first, not the whole conversation")
                .isLessThan(2 * LONG_CONVERSATION);
        assertThat(result.path("tallFirstShown").asInt()).as("a pane taller than a page fills itself without a scroll")
                .isGreaterThan(20);
    }

    @Test
    void theApiDescriptionRendersUnderItsContentSecurityPolicy() {
        JsonNode result = run("docs", new LinkedHashMap<>());

        assertThat(result.path("operations").asInt()).as("Swagger UI listed the document's operations").isGreaterThan(20);
    }

    @Test
    void modelOutputWithMarkupIsShownAsText() {
        upstream.enqueue(Script.text("<img src=x onerror=alert(1)>", " and **bold**\n\n```js\nalert(2)\n```"));
        Map<String, Object> arguments = account();
        arguments.put("model", "fake");

        run("markup", arguments);
    }

    @Test
    void anUpstreamFailureMidStreamIsShownAsAnError() {
        upstream.enqueue(Script.tokens(6).dropAfter(2));
        Map<String, Object> arguments = account();
        arguments.put("model", "fake");

        JsonNode result = run("failure", arguments);

        assertThat(result.path("alert").asString()).as("the gateway's error event, shown").contains("The reply failed");
    }

    @Test
    void theQuotaMessageAtTheLimitSaysWhenItResets() {
        Map<String, Object> arguments = account();
        arguments.put("model", "fake");
        String user = register(arguments);
        web.put().uri("/api/v1/admin/users/{id}/quota", user)
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + token(ADMIN, ADMIN_PASSWORD))
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("daily_requests", 1, "daily_tokens", 1_000_000))
                .exchange()
                .expectStatus().isOk();

        JsonNode result = run("quota", arguments);

        assertThat(upstream.requests()).as("the refused request never reached the upstream").isEqualTo(1);
        assertThat(result.path("message").asString()).contains("resets at");
    }

    @Test
    void aKeyCreatedInThePageWorksForHttpCalls() {
        Map<String, Object> arguments = account();
        register(arguments);

        String key = run("keys", arguments).path("key").asString();

        assertThat(key).as("a personal API key, shown once").startsWith("sk-sluice-");
        web.get().uri("/api/v1/keys").header(HttpHeaders.AUTHORIZATION, "Bearer " + key).exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.items.length()").isEqualTo(1)
                .jsonPath("$.items[0].name").isEqualTo("from the console");
        web.get().uri("/v1/models").header(HttpHeaders.AUTHORIZATION, "Bearer " + key).exchange()
                .expectStatus().isOk();
    }

    @Test
    void anAdminSetsAUsersQuotaFromTodaysUsageAndClearsTheCache() {
        Map<String, Object> user = account();
        register(user);
        String userToken = token((String) user.get("email"), PASSWORD);
        web.post().uri("/api/v1/chat").header(HttpHeaders.AUTHORIZATION, "Bearer " + userToken)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("model", "fake", "prompt", "Hi", "stream", false))
                .exchange()
                .expectStatus().isOk();
        Map<String, Object> arguments = new LinkedHashMap<>();
        arguments.put("email", ADMIN);
        arguments.put("password", ADMIN_PASSWORD);
        arguments.put("user", user.get("email"));

        run("admin", arguments);

        web.get().uri("/api/v1/quota").header(HttpHeaders.AUTHORIZATION, "Bearer " + userToken).exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.requests.limit").isEqualTo(7)
                .jsonPath("$.tokens.limit").isEqualTo(7000);
    }

    @Test
    void aUserSeesTheirUsageByDayAndModelAndDownloadsItAsCsv() {
        Map<String, Object> user = account();
        register(user);
        String userToken = token((String) user.get("email"), PASSWORD);
        for (String model : List.of("fake", "demo")) {
            web.post().uri("/api/v1/chat").header(HttpHeaders.AUTHORIZATION, "Bearer " + userToken)
                    .contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("model", model, "prompt", "Hi", "stream", false, "max_tokens", 3))
                    .exchange()
                    .expectStatus().isOk();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> web.get().uri("/api/v1/usage")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + userToken).exchange().expectStatus().isOk()
                .expectBody(JsonNode.class).returnResult().getResponseBody().at("/total/requests").asLong() == 2);

        JsonNode result = run("usage", user);

        assertThat(result.path("filename").asString()).startsWith("sluice-usage-").endsWith(".csv");
        assertThat(result.path("csv").asString()).as("the fake has no price here, the demo is free")
                .startsWith("model,requests,input_tokens,output_tokens,cost_usd,unpriced,estimated\r\n")
                .containsPattern("\r\ndemo,1,\\d+,\\d+,0\\.000000,0,false\r\n")
                .containsPattern("\r\nfake,1,\\d+,\\d+,,1,false\r\n");
    }

    private static Map<String, Object> account() {
        Map<String, Object> arguments = new LinkedHashMap<>();
        arguments.put("email", "console-" + UUID.randomUUID() + "@example.com");
        arguments.put("password", PASSWORD);
        return arguments;
    }

    private String register(Map<String, Object> account) {
        return web.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", account.get("email"), "password", account.get("password")))
                .exchange()
                .expectStatus().isCreated()
                .expectBody(JsonNode.class).returnResult().getResponseBody().path("id").asString();
    }

    private String token(String email, String password) {
        return web.post().uri("/api/v1/auth/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", password))
                .exchange()
                .expectStatus().isOk()
                .expectBody(JsonNode.class).returnResult().getResponseBody().path("access_token").asString();
    }

    /** Runs one scenario of e2e.mjs against this gateway; its result, or a failure with everything it printed. */
    private JsonNode run(String scenario, Map<String, Object> arguments) {
        Path output = temp.resolve(scenario + ".log");
        ProcessBuilder builder = new ProcessBuilder("node", "e2e.mjs", "http://127.0.0.1:" + port + "/", scenario,
                JSON.writeValueAsString(arguments))
                .directory(PROJECT.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile());
        builder.environment().put("CHROMIUM", CHROMIUM.toString());
        try {
            Process node = builder.start();
            boolean finished = node.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS);
            if (!finished) {
                node.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            String log = Files.readString(output);
            assertThat(finished).as("scenario %s finishes within %s; it printed:%n%s", scenario, LIMIT, log).isTrue();
            assertThat(node.exitValue()).as("scenario %s passes in the browser; it printed:%n%s", scenario, log).isZero();
            String result = log.lines().filter(line -> line.startsWith("RESULT ")).reduce((first, last) -> last)
                    .orElseThrow(() -> new AssertionError("no RESULT line; it printed:\n" + log));
            return JSON.readTree(result.substring("RESULT ".length()));
        }
        catch (IOException ex) {
            throw new AssertionError("Node.js is required for this test: could not run `node` (" + ex.getMessage() + ")", ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while the browser ran", ex);
        }
    }
}
