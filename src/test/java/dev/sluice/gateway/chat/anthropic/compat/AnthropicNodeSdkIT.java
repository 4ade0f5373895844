package dev.sluice.gateway.chat.anthropic.compat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.sluice.bench.Script;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The official Anthropic SDK for Node, unchanged, against the gateway and its fake upstream, with anonymous access
 * off as in production: the script {@code compat/anthropic-node/check.mjs} sends a message, streams, uses a tool
 * both ways, sends an image, reads a stream that breaks, and expects typed errors; the key goes as
 * {@code x-api-key} and as a Bearer token. {@code ./mvnw verify} installs its pinned {@code node_modules} before
 * the integration tests. Node.js must be on the PATH; without it this test fails rather than skips.
 */
@TestPropertySource(properties = {"sluice.auth.anonymous=false",
        "sluice.auth.jwt-secret=anthropic-sdk-test-secret-of-at-least-32-bytes"})
class AnthropicNodeSdkIT extends IntegrationTest {

    private static final Path PROJECT = Path.of("compat", "anthropic-node");
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final String PASSWORD = "correct horse battery";

    @Test
    void theOfficialNodeSdkChatsStreamsUsesToolsSendsAnImageAndSeesBrokenStreamsAndErrorsAsItsOwn(@TempDir Path temp)
            throws Exception {
        assertThat(PROJECT.resolve("check.mjs")).as("the check script, found from the project root").isRegularFile();
        assertThat(PROJECT.resolve("node_modules/@anthropic-ai/sdk/package.json"))
                .as("the SDK installed by `npm ci` in %s (./mvnw verify runs it in pre-integration-test)", PROJECT)
                .isRegularFile();
        // The replies of the script's chats, in its order; its other calls never reach the upstream.
        upstream.enqueue(Script.text("Hello", " from", " Sluice"), Script.text("one", " two", " three"),
                Script.toolCall("get_weather", "{\"city\":\"Paris\"}"), Script.text("It is sunny"),
                Script.toolCall("get_weather", "{\"city\":\"Oslo\"}"), Script.text("A cat"),
                Script.tokens(6).dropAfter(2), Script.text("Hi back"));

        Path output = temp.resolve("check.log");
        ProcessBuilder builder = new ProcessBuilder("node", "check.mjs", "http://127.0.0.1:" + port, apiKey())
                .directory(PROJECT.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile());
        // The SDK reads these when it is not told otherwise; the script tells it everything.
        builder.environment().keySet().removeIf(name -> name.startsWith("ANTHROPIC_"));
        Process node = start(builder);
        boolean finished = node.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS);
        if (!finished) {
            node.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        String log = Files.readString(output);

        assertThat(finished).as("check.mjs finishes within %s; it printed:%n%s", LIMIT, log).isTrue();
        assertThat(node.exitValue()).as("check.mjs exits 0 when every expectation holds; it printed:%n%s", log)
                .isZero();
        assertThat(log).as("the summary line").contains("all checks passed");
        assertThat(upstream.requestBodies()).as("the SDK's chats, each once").hasSize(8);
        JsonNode toolResult = SseEvents.json(upstream.requestBodies().get(3)).path("messages");
        assertThat(toolResult.get(2).path("role").asString()).as("the tool's result, as OpenAI's tool message").isEqualTo("tool");
        assertThat(toolResult.get(2).path("content").asString()).isEqualTo("21 °C, sunny");
        JsonNode image = SseEvents.json(upstream.requestBodies().get(5)).at("/messages/0/content/0");
        assertThat(image.toString()).as("the SDK's image, upstream")
                .isEqualTo("{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}}");
    }

    /** A personal key of a new account, as a user of Claude Code or the SDK would make one. */
    private String apiKey() {
        String email = "anthropic-sdk-" + System.nanoTime() + "@example.com";
        web.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", PASSWORD)).exchange().expectStatus().isCreated();
        String token = (String) web.post().uri("/api/v1/auth/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", PASSWORD)).exchange().expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody().get("access_token");
        return (String) web.post().uri("/api/v1/keys").header("Authorization", "Bearer " + token)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("name", "anthropic-sdk")).exchange()
                .expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody().get("key");
    }

    private static Process start(ProcessBuilder builder) {
        try {
            return builder.start();
        }
        catch (IOException ex) {
            throw new AssertionError("Node.js is required for this test: could not run `node` from the PATH ("
                    + ex.getMessage() + ")", ex);
        }
    }
}
