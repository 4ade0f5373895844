package dev.sluice.gateway.embedding;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;

import dev.sluice.gateway.provider.UpstreamException;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The OpenAI-compatible translation, which is none: the body passes with its model rewritten, the data as its bytes. */
class OpenAiEmbeddingsTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final OpenAiEmbeddings embeddings = new OpenAiEmbeddings(URI.create("http://upstream/v1"),
            (uri, body, key, max, tooLarge) -> {
                throw new AssertionError("no call in these tests");
            }, JSON, 1024, IllegalStateException::new);

    @Test
    void theBodyGoesAsSentWithOnlyTheTargetsModelAndTheCallersOwnIsLeftAlone() {
        EmbeddingRequest request = request("{\"model\":\"embed\",\"input\":[\"a\",\"b\"],\"encoding_format\":\"base64\","
                + "\"dimensions\":256,\"user\":\"u-1\",\"truncate\":\"END\"}");

        String sent = JSON.writeValueAsString(embeddings.body("text-embedding-3-small", request));

        assertThat(sent).isEqualTo("{\"model\":\"text-embedding-3-small\",\"input\":[\"a\",\"b\"],\"encoding_format\":\"base64\","
                + "\"dimensions\":256,\"user\":\"u-1\",\"truncate\":\"END\"}");
        assertThat(request.body().path("model").asString()).as("another target rewrites it afresh").isEqualTo("embed");
    }

    @Test
    void theDataArrayIsTakenAsItsBytesAndTheCountFromTheUsage() {
        String fixture = fixture("openai-reply.json");

        EmbeddingReply reply = embeddings.read(fixture.getBytes(StandardCharsets.UTF_8));

        String expected = fixture.substring(fixture.indexOf("[\n    {"), fixture.indexOf("],\n  \"model\"") + 1);
        assertThat(data(reply)).as("the array as the provider wrote it, whitespace and digits alike").isEqualTo(expected);
        assertThat(reply.promptTokens()).isEqualTo(8);
    }

    @Test
    void aReplyWithoutUsageHasNoCountAndTheUsageMayComeFirst() {
        EmbeddingReply ollama = embeddings.read(fixture("ollama-reply.json").getBytes(StandardCharsets.UTF_8));
        EmbeddingReply usageFirst = embeddings.read(("{\"usage\":{\"total_tokens\":4,\"prompt_tokens\":4,\"extra\":{\"a\":[1]}},"
                + "\"data\":[{\"embedding\":[0.5]}],\"id\":\"e-1\"}").getBytes(StandardCharsets.UTF_8));

        assertThat(ollama.promptTokens()).as("Ollama counts none: Sluice's estimate stands in").isNull();
        assertThat(data(ollama)).isEqualTo("[{\"object\":\"embedding\",\"embedding\":\"AACAPwAAoD8AAMA/\",\"index\":0}]");
        assertThat(usageFirst.promptTokens()).isEqualTo(4);
        assertThat(data(usageFirst)).isEqualTo("[{\"embedding\":[0.5]}]");
    }

    @Test
    void aReplyThatHoldsNoEmbeddingsIsABrokenReplyThatRoutingRetries() {
        for (String reply : new String[] {"{\"object\":\"list\"}", "[1,2]", "{\"data\":[", "not json",
                "{\"data\":{\"embedding\":[1]}}"}) {
            assertThatThrownBy(() -> embeddings.read(reply.getBytes(StandardCharsets.UTF_8))).as(reply)
                    .isInstanceOf(UpstreamException.StreamBroken.class)
                    .hasMessageStartingWith("the embeddings reply cannot be read: ");
        }
    }

    private static String data(EmbeddingReply reply) {
        return new String(reply.json(), reply.offset(), reply.length(), StandardCharsets.UTF_8);
    }

    static EmbeddingRequest request(String json) {
        return EmbeddingRequestReader.read(JSON.readTree(json), 2048);
    }

    static String fixture(String name) {
        try (InputStream in = OpenAiEmbeddingsTests.class.getResourceAsStream("/embedding/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
