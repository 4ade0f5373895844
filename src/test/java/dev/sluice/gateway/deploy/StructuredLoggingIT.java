package dev.sluice.gateway.deploy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import dev.sluice.bench.FakeUpstream;
import dev.sluice.bench.Script;
import dev.sluice.gateway.testing.ExternalServices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code prod} profile's logs, read from a gateway process's console: one JSON object a line, one access
 * line per request with its status, model, provider, tokens, time to first token and duration, the request
 * id and user id on the lines written while serving the request, and never a credential nor, at INFO, a prompt.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StructuredLoggingIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final String JWT_SECRET = "structured-logging-test-secret-of-32-bytes-or-more";
    private static final String LOCKED_KEY = "locked-provider-key-0123456789";

    @TempDir
    Path directory;

    private FakeUpstream upstream;
    private GatewayProcess gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void prodLogsAreJsonLinesWithOneAccessLinePerRequestAndNoSecretOrPrompt() throws Exception {
        upstream = FakeUpstream.start(0, Script.tokens(5).every(Duration.ofMillis(20)));
        gateway = GatewayProcess.start("prod-gateway", directory, settings());
        await("gateway ready").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(gateway::isReady);
        String base = "http://127.0.0.1:" + gateway.port();

        String email = "logs-" + UUID.randomUUID() + "@example.com";
        String password = "correct horse battery staple";
        HttpResponse<String> registered = post(base + "/api/v1/auth/register", null, null,
                "{\"email\":\"" + email + "\",\"password\":\"" + password + "\"}");
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        String userId = JSON.readTree(registered.body()).path("id").asString();
        String token = JSON.readTree(post(base + "/api/v1/auth/login", null, null,
                "{\"email\":\"" + email + "\",\"password\":\"" + password + "\"}").body()).path("access_token").asString();
        HttpResponse<String> created = post(base + "/api/v1/keys", token, null, "{\"name\":\"logs\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String apiKey = JSON.readTree(created.body()).path("key").asString();

        String prompt = "confidential-prompt-" + UUID.randomUUID();
        String chatId = "logs-chat-" + UUID.randomUUID();
        HttpResponse<String> chat = post(base + "/v1/chat/completions", apiKey, chatId, "{\"model\":\"fake\",\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}");
        assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
        assertThat(chat.body()).contains("[DONE]");

        upstream.enqueue(Script.status(401, "invalid api key"));
        String lockedId = "logs-locked-" + UUID.randomUUID();
        HttpResponse<String> locked = post(base + "/v1/chat/completions", apiKey, lockedId,
                "{\"model\":\"locked\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}");
        assertThat(locked.statusCode()).as("every key of the only provider refused").isGreaterThanOrEqualTo(500);

        String unauthorizedId = "logs-401-" + UUID.randomUUID();
        assertThat(post(base + "/v1/chat/completions", "not-a-valid-credential", unauthorizedId, "{}").statusCode()).isEqualTo(401);

        JsonNode access = await("the chat's access line").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> accessLine(chatId), Optional::isPresent).orElseThrow();
        assertThat(access.path("level").asString()).isEqualTo("INFO");
        assertThat(access.path("user_id").asString()).as("the caller").isEqualTo(userId);
        assertThat(access.path("method").asString()).isEqualTo("POST");
        assertThat(access.path("path").asString()).isEqualTo("/v1/chat/completions");
        assertThat(access.path("status").asInt()).isEqualTo(200);
        assertThat(access.path("model").asString()).isEqualTo("fake");
        assertThat(access.path("provider").asString()).isEqualTo("fake/fake-model");
        assertThat(access.path("completion_tokens").asInt()).isEqualTo(5);
        assertThat(access.path("prompt_tokens").asInt()).isPositive();
        assertThat(access.path("ttft_ms").isNumber()).as("time to first token: " + access).isTrue();
        assertThat(access.path("duration_ms").asLong()).isGreaterThanOrEqualTo(access.path("ttft_ms").asLong());
        assertThat(access.path("outcome").asString()).isEqualTo("completed");

        JsonNode refused = await().atMost(Duration.ofSeconds(10)).until(() -> accessLine(unauthorizedId), Optional::isPresent).orElseThrow();
        assertThat(refused.path("status").asInt()).as("a refusal by the security chain is logged with its status").isEqualTo(401);
        assertThat(refused.has("user_id")).as("nobody authenticated").isFalse();

        await().atMost(Duration.ofSeconds(10)).until(() -> accessLine(lockedId), Optional::isPresent);
        List<JsonNode> lines = jsonLines();
        JsonNode keyWarning = lines.stream().filter(line -> line.path("message").asString().contains("refused API key"))
                .findFirst().orElseThrow(() -> new AssertionError("no warning about the refused key in\n" + gateway.tail()));
        assertThat(keyWarning.path("request_id").asString())
                .as("a line logged deep in the routing, on another thread, still names its request").isEqualTo(lockedId);
        assertThat(keyWarning.path("user_id").asString()).isEqualTo(userId);

        assertThat(accessLines(chatId)).as("one access line per request").hasSize(1);
        String output = gateway.output();
        assertThat(output).as("no secret in the logs").doesNotContain(apiKey, token, JWT_SECRET, LOCKED_KEY, password);
        for (JsonNode line : lines) {
            if (line.toString().contains(prompt)) {
                assertThat(line.path("level").asString()).as("a prompt only at DEBUG: " + line).isEqualTo("DEBUG");
                assertThat(line.path("logger_name").asString()).isEqualTo("sluice.prompts");
                assertThat(line.path("request_id").asString()).isEqualTo(chatId);
            }
        }
        assertThat(lines).as("the prompt is in the DEBUG log of prompts, as asked")
                .anyMatch(line -> line.path("message").asString().contains(prompt));
        assertThat(output.lines().filter(line -> !line.isBlank()))
                .as("every console line is a JSON object (nothing printed around the logger)")
                .allMatch(line -> line.startsWith("{") || line.startsWith("Picked up JAVA_TOOL_OPTIONS"));
    }

    private Map<String, Object> settings() {
        Map<String, Object> settings = new HashMap<>(ExternalServices.get().springProperties());
        settings.put("spring.profiles.active", "prod");
        settings.put("sluice.auth.jwt-secret", JWT_SECRET);
        settings.put("sluice.auth.registration", "open"); // prod's default is closed; this test signs up
        settings.put("sluice.providers.fake.type", "openai");
        settings.put("sluice.providers.fake.base-url", upstream.baseUrl());
        settings.put("sluice.providers.fake.api-keys", "fake-provider-key-0123456789");
        settings.put("sluice.providers.fake.models", "*");
        settings.put("sluice.aliases.fake.targets", "fake/fake-model");
        settings.put("sluice.providers.locked.type", "openai");
        settings.put("sluice.providers.locked.base-url", upstream.baseUrl());
        settings.put("sluice.providers.locked.api-keys", LOCKED_KEY);
        settings.put("sluice.providers.locked.models", "*");
        settings.put("sluice.aliases.locked.targets", "locked/fake-model");
        settings.put("sluice.routing.retries", "0");
        settings.put("sluice.status.probe-interval", "0s");
        settings.put("sluice.limits.enabled", "false");
        settings.put("logging.level.sluice.prompts", "DEBUG");
        return settings;
    }

    private static HttpResponse<String> post(String url, String bearer, String requestId, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        if (requestId != null) {
            request.header("X-Request-ID", requestId);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<JsonNode> jsonLines() throws IOException {
        return gateway.output().lines().filter(line -> line.startsWith("{")).map(JSON::readTree).toList();
    }

    private List<JsonNode> accessLines(String requestId) throws IOException {
        return jsonLines().stream().filter(line -> "sluice.access".equals(line.path("logger_name").asString()))
                .filter(line -> requestId.equals(line.path("request_id").asString())).toList();
    }

    private Optional<JsonNode> accessLine(String requestId) throws IOException {
        return accessLines(requestId).stream().findFirst();
    }
}
