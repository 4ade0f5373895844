package dev.sluice.gateway.chat.openai.compat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The official OpenAI SDK for Node, unchanged, against the embedded default gateway: the script
 * {@code compat/openai-node/check.mjs} lists models, chats, streams with usage and expects a typed 404.
 * {@code ./mvnw verify} installs its pinned {@code node_modules} before the integration tests. Node.js
 * must be on the PATH; without it this test fails rather than skips, so CI cannot pass by not checking.
 */
// The anonymous user's daily quota lives in the embedded database file under ./data, which outlives the run.
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"sluice.providers.demo.token-interval=1ms", "sluice.quotas.daily-requests=100000000"})
class OpenAiNodeSdkIT {

    private static final Path PROJECT = Path.of("compat", "openai-node");
    private static final Duration LIMIT = Duration.ofSeconds(60);

    @LocalServerPort
    int port;

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
