package dev.sluice.gateway.chat.openai.compat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.sluice.bench.FakeUpstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The official OpenAI SDK for Node, unchanged, against the embedded default gateway: the script
 * {@code compat/openai-node/check.mjs} lists models, chats, streams with usage and expects a typed 404; it embeds
 * through the alias {@code embed}, whose fake upstream (a real socket) records what the SDK's requests became.
 * {@code ./mvnw verify} installs its pinned {@code node_modules} before the integration tests. Node.js
 * must be on the PATH; without it this test fails rather than skips, so CI cannot pass by not checking.
 */
// The anonymous user's daily quota lives in the embedded database file under ./data, which outlives the run.
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"sluice.providers.demo.token-interval=1ms", "sluice.quotas.daily-requests=100000000"})
class OpenAiNodeSdkIT {

    private static final Path PROJECT = Path.of("compat", "openai-node");
    private static final Duration LIMIT = Duration.ofSeconds(60);

    /** Serves the alias {@code embed}: embeddings on a provider that speaks OpenAI's protocol. */
    static final FakeUpstream embeddings = FakeUpstream.start();

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void embeddingsUpstream(DynamicPropertyRegistry registry) {
        registry.add("sluice.providers.fake.type", () -> "openai");
        registry.add("sluice.providers.fake.base-url", embeddings::baseUrl);
        registry.add("sluice.providers.fake.api-keys", () -> "fake-key");
        registry.add("sluice.providers.fake.models", () -> "text-embedding-3-small");
        registry.add("sluice.aliases.embed.targets", () -> "fake/text-embedding-3-small");
    }

    @AfterAll
    static void stopEmbeddingsUpstream() {
        embeddings.close();
    }

    @Test
    void theOfficialNodeSdkListsModelsChatsStreamsAndSeesUnknownModelsAs404(@TempDir Path temp) throws Exception {
        assertThat(PROJECT.resolve("check.mjs")).as("the check script, found from the project root").isRegularFile();
        assertThat(PROJECT.resolve("node_modules/openai/package.json"))
                .as("the SDK installed by `npm ci` in %s (./mvnw verify runs it in pre-integration-test)", PROJECT)
                .isRegularFile();

        Path output = temp.resolve("check.log");
        Process node = start(new ProcessBuilder("node", "check.mjs", "http://127.0.0.1:" + port + "/v1")
                .directory(PROJECT.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile()));
        boolean finished = node.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS);
        if (!finished) {
            node.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        String log = Files.readString(output);

        assertThat(finished).as("check.mjs finishes within %s; it printed:%n%s", LIMIT, log).isTrue();
        assertThat(node.exitValue()).as("check.mjs exits 0 when every expectation holds; it printed:%n%s", log)
                .isZero();
        assertThat(log).as("the summary line").contains("all checks passed");
        assertThat(embeddings.requestBodies()).as("what the SDK's embeddings became upstream: its body, exactly, with "
                + "the target's model; the default base64 and the float and dimensions asked for passed through; the "
                + "refused empty input never sent").containsExactly(
                "{\"model\":\"text-embedding-3-small\",\"input\":[\"Hello world\",\"Bonjour\"],\"encoding_format\":\"base64\"}",
                "{\"model\":\"text-embedding-3-small\",\"input\":\"One\",\"encoding_format\":\"float\",\"dimensions\":2}");
        assertThat(embeddings.apiKeys()).as("with the provider's key, not the caller's").containsOnly("fake-key");
    }

    private static Process start(ProcessBuilder builder) {
        try {
            return builder.start();
        }
        catch (IOException ex) {
            throw new AssertionError("Node.js is required for this test: could not run `node` from the PATH ("
                    + ex.getMessage() + "). Install Node.js (the openai package asks for 22+) and retry.", ex);
        }
    }
}
