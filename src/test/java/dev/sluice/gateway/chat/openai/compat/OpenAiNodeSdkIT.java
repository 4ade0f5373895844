package dev.sluice.gateway.chat.openai.compat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.sluice.bench.Script;
import dev.sluice.gateway.status.UpstreamModelLists;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The official OpenAI SDK for Node, unchanged, against the gateway: the script {@code compat/openai-node/check.mjs}
 * lists models, chats, streams with usage and expects a typed 404 from the demo simulator, then sends what Sluice must
 * pass on as it came to the fake upstream ({@code max_completion_tokens} and {@code reasoning_effort}, an image,
 * multi-part text, a JSON schema, a stream with reasoning and logprobs) and lists a {@code "*"} provider's models,
 * and embeds through the alias {@code embed}, on the same fake; this test checks what the upstream received.
 * {@code ./mvnw verify} installs its pinned {@code node_modules} before the integration tests. Node.js must be on the
 * PATH; without it this test fails rather than skips, so CI cannot pass by not checking.
 */
@TestPropertySource(properties = {"sluice.providers.demo.token-interval=1ms",
        "sluice.aliases.embed.targets=fake/text-embedding-3-small"})
class OpenAiNodeSdkIT extends IntegrationTest {

    private static final Path PROJECT = Path.of("compat", "openai-node");
    private static final Duration LIMIT = Duration.ofSeconds(60);

    @Autowired
    UpstreamModelLists modelLists;

    @Test
    void theOfficialNodeSdkChatsStreamsListsModelsAndWhatSluiceDoesNotModelGoesThroughAsItCame(@TempDir Path temp)
            throws Exception {
        assertThat(PROJECT.resolve("check.mjs")).as("the check script, found from the project root").isRegularFile();
        assertThat(PROJECT.resolve("node_modules/openai/package.json"))
                .as("the SDK installed by `npm ci` in %s (./mvnw verify runs it in pre-integration-test)", PROJECT)
                .isRegularFile();
        upstream.enqueue(faithfulReplies());
        // The "*" provider's list, as its upstream has it now (a test before may have changed it).
        modelLists.refresh().block(LIMIT);

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
        List<String> bodies = upstream.requestBodies();
        assertThat(bodies).as("the script's five chats with the fake, then its two embeddings, each once").hasSize(7);
        assertFaithfulChatsReachedTheUpstreamAsSent(bodies.subList(0, 5));
        assertThat(bodies.subList(5, 7)).as("what the SDK's embeddings became upstream: its body, exactly, with "
                + "the target's model; the default base64 and the float and dimensions asked for passed through; the "
                + "refused empty input never sent").containsExactly(
                "{\"model\":\"text-embedding-3-small\",\"input\":[\"Hello world\",\"Bonjour\"],\"encoding_format\":\"base64\"}",
                "{\"model\":\"text-embedding-3-small\",\"input\":\"One\",\"encoding_format\":\"float\",\"dimensions\":2}");
        assertThat(upstream.apiKeys()).as("with the provider's key, not the caller's").containsOnly(FAKE_KEY);
    }

    /** The fake's replies to the script's "Chat Completions, faithfully" chats, in their order. */
    private static Script[] faithfulReplies() {
        String head = "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"fake-model\","
                + "\"system_fingerprint\":\"fp_sdk\",\"choices\":[";
        return new Script[] {
                Script.text("Brief", " thought"),
                Script.text("A", " pixel"),
                Script.text("one", " and", " two"),
                Script.text("{\"answer\":", "\"4\"}"),
                Script.events(
                        head + "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"reasoning_content\":\"Two and two.\"},"
                                + "\"logprobs\":null,\"finish_reason\":null}]}",
                        head + "{\"index\":0,\"delta\":{\"content\":\"4\"},\"logprobs\":{\"content\":[{\"token\":\"4\","
                                + "\"logprob\":-0.01,\"bytes\":[52],\"top_logprobs\":[]}]},\"finish_reason\":null}]}",
                        head + "{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}",
                        head + "],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":5,\"total_tokens\":9}}")};
    }

    /** What the fake received of the faithful chats, in the script's order (the demo's chats never reach it). */
    private static void assertFaithfulChatsReachedTheUpstreamAsSent(List<String> bodies) {
        JsonNode reasoning = SseEvents.json(bodies.get(0));
        assertThat(reasoning.path("max_completion_tokens").intValue()).as("under its own name").isEqualTo(64);
        assertThat(reasoning.has("max_tokens")).as("not folded into max_tokens, which reasoning models refuse").isFalse();
        assertThat(reasoning.path("reasoning_effort").asString()).isEqualTo("low");
        assertThat(SseEvents.json(bodies.get(1)).at("/messages/0/content")).as("the image part, as the SDK sent it")
                .isEqualTo(SseEvents.json("[{\"type\":\"text\",\"text\":\"What is in this image?\"},{\"type\":\"image_url\","
                        + "\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\",\"detail\":\"low\"}}]"));
        assertThat(SseEvents.json(bodies.get(2)).at("/messages/0/content")).as("two text parts, not 'onetwo'")
                .isEqualTo(SseEvents.json("[{\"type\":\"text\",\"text\":\"one\"},{\"type\":\"text\",\"text\":\"two\"}]"));
        assertThat(SseEvents.json(bodies.get(3)).path("response_format")).isEqualTo(SseEvents.json("""
                {"type":"json_schema","json_schema":{"name":"answer","strict":true,"schema":{"type":"object",
                 "properties":{"answer":{"type":"string"}},"required":["answer"],"additionalProperties":false}}}"""));
        assertThat(SseEvents.json(bodies.get(4)).path("logprobs").booleanValue()).as("passed through").isTrue();
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
