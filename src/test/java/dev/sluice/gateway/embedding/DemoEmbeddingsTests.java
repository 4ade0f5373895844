package dev.sluice.gateway.embedding;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

import dev.sluice.gateway.provider.UpstreamException;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static dev.sluice.gateway.embedding.OpenAiEmbeddingsTests.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The demo simulator's embeddings: deterministic, of length 1, and closer for texts that share words. */
class DemoEmbeddingsTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final DemoEmbeddings demo = new DemoEmbeddings(JSON);

    @Test
    void aTextHasOneVectorOfLengthOneTheSameOnEveryCall() {
        float[] first = DemoEmbeddings.ofText("The cat sat on the mat", DemoEmbeddings.DEFAULT_DIMENSIONS);

        assertThat(first).hasSize(DemoEmbeddings.DEFAULT_DIMENSIONS);
        assertThat(norm(first)).isCloseTo(1, within(1e-5));
        assertThat(DemoEmbeddings.ofText("The cat sat on the mat", DemoEmbeddings.DEFAULT_DIMENSIONS)).isEqualTo(first);
        assertThat(DemoEmbeddings.ofText("the CAT, sat on the mat!", DemoEmbeddings.DEFAULT_DIMENSIONS))
                .as("case and punctuation make no other words").isEqualTo(first);
    }

    @Test
    void textsThatShareWordsAreCloserThanTextsThatShareNone() {
        float[] cat = DemoEmbeddings.ofText("the cat sat on the mat", 256);
        float[] kitten = DemoEmbeddings.ofText("a cat sat on a rug", 256);
        float[] stocks = DemoEmbeddings.ofText("stock prices fell sharply", 256);

        assertThat(cosine(cat, kitten)).as("three of their words shared: 3 / 8").isCloseTo(0.375, within(1e-6));
        assertThat(cosine(cat, stocks)).as("none shared").isLessThan(0.2);
    }

    @Test
    void theReplyIsOpenAisDataAtTheDimensionsAskedWithSluicesEstimate() {
        EmbeddingReply reply = demo.embed("sluice-demo",
                request("{\"model\":\"demo\",\"input\":[\"one\",\"two words\"],\"dimensions\":8}"), null).block(TIMEOUT);
        JsonNode data = JSON.readTree(new String(reply.json(), reply.offset(), reply.length(), StandardCharsets.UTF_8));

        assertThat(data).hasSize(2);
        assertThat(data.get(1).path("object").asString()).isEqualTo("embedding");
        assertThat(data.get(1).path("index").asInt()).isEqualTo(1);
        assertThat(data.get(1).path("embedding")).hasSize(8);
        assertThat(reply.promptTokens()).as("12 characters").isEqualTo(3);
    }

    @Test
    void base64CarriesTheSameFloatsAsLittleEndianFloat32s() {
        EmbeddingReply reply = demo.embed("sluice-demo",
                request("{\"model\":\"demo\",\"input\":[[17,4,17]],\"encoding_format\":\"base64\",\"dimensions\":16}"), null)
                .block(TIMEOUT);
        JsonNode data = JSON.readTree(new String(reply.json(), reply.offset(), reply.length(), StandardCharsets.UTF_8));

        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(data.at("/0/embedding").asString()))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] decoded = new float[bytes.remaining() / Float.BYTES];
        bytes.asFloatBuffer().get(decoded);
        assertThat(decoded).isEqualTo(DemoEmbeddings.ofTokens(new int[] {17, 4, 17}, 16));
        assertThat(reply.promptTokens()).as("three token ids").isEqualTo(3);
    }

    @Test
    void moreDimensionsThanTheSimulatorMakesAreA400() {
        demo.embed("sluice-demo", request("{\"model\":\"demo\",\"input\":\"x\",\"dimensions\":5000}"), null)
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(UpstreamException.Rejected.class)
                        .hasMessage("dimensions: the demo simulator makes at most 4096 dimensions"))
                .verify(TIMEOUT);
    }

    private static double norm(float[] vector) {
        return Math.sqrt(dot(vector, vector));
    }

    private static double cosine(float[] a, float[] b) {
        return dot(a, b) / (norm(a) * norm(b));
    }

    private static double dot(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }
}
