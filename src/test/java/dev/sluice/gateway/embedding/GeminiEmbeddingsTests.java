package dev.sluice.gateway.embedding;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import dev.sluice.gateway.llm.ReplyOptions;
import dev.sluice.gateway.provider.ProviderProperties;
import dev.sluice.gateway.provider.ProviderType;
import dev.sluice.gateway.provider.UpstreamException;
import dev.sluice.gateway.provider.gemini.GeminiProtocol;
import dev.sluice.gateway.provider.http.EventStreamClient;
import dev.sluice.gateway.provider.http.FakeEventServer;
import dev.sluice.gateway.provider.http.FakeEventServer.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.netty.http.HttpResources;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static dev.sluice.gateway.embedding.OpenAiEmbeddingsTests.fixture;
import static dev.sluice.gateway.embedding.OpenAiEmbeddingsTests.request;
import static org.assertj.core.api.Assertions.assertThat;

/** Embeddings translated to Gemini's {@code batchEmbedContents} and back, against a fake Gemini API on a real socket. */
class GeminiEmbeddingsTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String KEY = "gemini-secret-key";
    private static final String TWO_QUESTIONS = "{\"model\":\"embed\",\"input\":[\"What is the meaning of life?\","
            + "\"How does the brain work?\"],\"dimensions\":3";

    private FakeEventServer fake;
    private EventStreamClient client;
    private GeminiEmbeddings embeddings;

    @BeforeEach
    void start() {
        fake = FakeEventServer.start();
        URI baseUrl = URI.create(fake.baseUrl() + "/v1beta");
        client = new EventStreamClient("gemini", new ProviderProperties(ProviderType.GEMINI, baseUrl, List.of(KEY),
                List.of("*"), 10, 10, Duration.ofSeconds(2), null, null, new ProviderProperties.Timeouts(
                        Duration.ofSeconds(2), Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(300)),
                Duration.ofMillis(40), ReplyOptions.CapName.MAX_TOKENS, false), JSON, GeminiProtocol.of(baseUrl, JSON), HttpResources.get());
        embeddings = new GeminiEmbeddings(baseUrl, client, JSON, 64 * 1024, () -> new IllegalStateException("too large"));
    }

    @AfterEach
    void stop() {
        client.dispose();
        fake.close();
    }

    @Test
    void textsGoAsOneBatchWithTheirDimensionsAndTheKeyInAHeader() {
        fake.enqueue(Reply.events(fixture("gemini-reply.json").getBytes(StandardCharsets.UTF_8)));

        embeddings.embed("gemini-embedding-001", request(TWO_QUESTIONS + ",\"user\":\"u-1\"}"), KEY).block(TIMEOUT);

        FakeEventServer.Received sent = fake.received().get(0);
        assertThat(sent.uri()).isEqualTo("/v1beta/models/gemini-embedding-001:batchEmbedContents");
        assertThat(sent.headers()).containsEntry("x-goog-api-key", KEY).containsEntry("accept", "application/json")
                .as("never in the URL, where proxies log it").doesNotContainKey("authorization");
        assertThat(sent.body()).as("one request per text; user, which only tags abuse monitoring, not sent")
                .isEqualTo(fixture("gemini-request.json").strip());
    }

    @Test
    void theValuesComeBackAsOpenAisDataAsNumbersOrBase64() {
        fake.enqueue(Reply.events(fixture("gemini-reply.json").getBytes(StandardCharsets.UTF_8)),
                Reply.events(fixture("gemini-reply.json").getBytes(StandardCharsets.UTF_8)));

        EmbeddingReply floats = embeddings.embed("models/gemini-embedding-001", request(TWO_QUESTIONS + "}"), KEY)
                .block(TIMEOUT);
        EmbeddingReply base64 = embeddings.embed("gemini-embedding-001",
                request(TWO_QUESTIONS + ",\"encoding_format\":\"base64\"}"), KEY).block(TIMEOUT);

        assertThat(data(floats)).isEqualTo("[{\"object\":\"embedding\",\"index\":0,\"embedding\":[-0.022374554,0.0033416117,"
                + "0.011813025]},{\"object\":\"embedding\",\"index\":1,\"embedding\":[1.0,1.25,-1.5]}]");
        assertThat(floats.promptTokens()).as("Gemini counts no tokens: Sluice's estimate stands in").isNull();
        assertThat(data(base64)).as("OpenAI's base64: little-endian float32s")
                .contains("{\"object\":\"embedding\",\"index\":1,\"embedding\":\"AACAPwAAoD8AAMC/\"}");
        assertThat(fake.received().get(0).uri()).as("a model named as Gemini lists it")
                .isEqualTo("/v1beta/models/gemini-embedding-001:batchEmbedContents");
    }

    @Test
    void moreTextsThanGeminiTakesInOneCallGoInCallsOfAHundredAndComeBackInOrder() {
        fake.enqueue(Reply.events(vectors(0, 100)), Reply.events(vectors(100, 50)));
        StringBuilder inputs = new StringBuilder();
        for (int i = 0; i < 150; i++) {
            inputs.append(i == 0 ? "" : ",").append("\"text ").append(i).append('"');
        }

        EmbeddingReply reply = embeddings.embed("gemini-embedding-001",
                request("{\"model\":\"embed\",\"input\":[" + inputs + "]}"), KEY).block(TIMEOUT);

        assertThat(fake.received()).extracting(sent -> JSON.readTree(sent.body()).path("requests").size())
                .as("Gemini's limit per call").containsExactly(100, 50);
        assertThat(fake.received().get(1).body()).as("the second call starts at text 100").contains("\"text 100\"");
        JsonNode data = JSON.readTree(data(reply));
        assertThat(data).hasSize(150);
        for (int i : new int[] {0, 99, 100, 149}) {
            assertThat(data.get(i).path("index").asInt()).isEqualTo(i);
            assertThat(data.get(i).at("/embedding/0").floatValue()).as("vector %s in its place", i).isEqualTo(i);
        }
    }

    @Test
    void whatGeminiCannotTakeIsA400NamingItAndNoCall() {
        assertRefused("gemini-embedding-001", "{\"model\":\"embed\",\"input\":[[1,2],[3]]}", "input: Gemini embeds texts");
        assertRefused("gemini-embedding-001", "{\"model\":\"embed\",\"input\":\"x\",\"truncate\":\"END\"}",
                "truncate: Gemini's embeddings have no such parameter");
        assertRefused("../files", "{\"model\":\"embed\",\"input\":\"x\"}", "'../files' is not a Gemini model name");

        assertThat(fake.requests()).isZero();
    }

    @Test
    void aReplyThatDoesNotHoldOneVectorOfNumbersPerInputIsBroken() {
        fake.enqueue(Reply.events("{\"embeddings\":[{\"values\":[0.5]}]}".getBytes(StandardCharsets.UTF_8)),
                Reply.events("{\"embeddings\":[{\"values\":[0.5,\"x\"]},{}]}".getBytes(StandardCharsets.UTF_8)));

        for (String why : new String[] {"1 embeddings for 2 inputs", "an embedding's values are not all numbers"}) {
            embeddings.embed("gemini-embedding-001", request(TWO_QUESTIONS + "}"), KEY)
                    .as(StepVerifier::create)
                    .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(UpstreamException.StreamBroken.class)
                            .hasMessageEndingWith(why))
                    .verify(TIMEOUT);
        }
    }

    private void assertRefused(String model, String json, String message) {
        embeddings.embed(model, request(json), KEY)
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> {
                    assertThat(error).isInstanceOf(UpstreamException.Rejected.class).hasMessageStartingWith(message);
                    assertThat(((UpstreamException.Rejected) error).status()).isEqualTo(400);
                })
                .verify(TIMEOUT);
    }

    /** A reply of {@code count} one-value vectors, {@code first}, {@code first + 1}... */
    private static byte[] vectors(int first, int count) {
        StringBuilder reply = new StringBuilder("{\"embeddings\":[");
        for (int i = 0; i < count; i++) {
            reply.append(i == 0 ? "" : ",").append("{\"values\":[").append(first + i).append("]}");
        }
        return reply.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String data(EmbeddingReply reply) {
        return new String(reply.json(), reply.offset(), reply.length(), StandardCharsets.UTF_8);
    }
}
