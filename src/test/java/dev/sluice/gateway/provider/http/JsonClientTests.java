package dev.sluice.gateway.provider.http;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.sluice.gateway.llm.ReplyOptions;
import dev.sluice.gateway.provider.ProviderProperties;
import dev.sluice.gateway.provider.ProviderType;
import dev.sluice.gateway.provider.UpstreamException.AuthRejected;
import dev.sluice.gateway.provider.UpstreamException.RateLimited;
import dev.sluice.gateway.provider.UpstreamException.StreamBroken;
import dev.sluice.gateway.provider.http.FakeEventServer.Reply;
import dev.sluice.gateway.provider.openai.OpenAiProtocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.http.HttpResources;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The provider client's calls whose reply is one JSON document (embeddings), against a fake upstream on a real
 * socket: the reply whole, however it is cut, and never more of it than the limit; failures typed as a chat's.
 */
class JsonClientTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String KEY = "sk-json-secret-5678";
    private static final int LIMIT = 64;

    private FakeEventServer fake;
    private EventStreamClient client;
    private URI embeddings;

    @BeforeEach
    void start() {
        fake = FakeEventServer.start();
        URI baseUrl = URI.create(fake.baseUrl() + "/v1");
        client = new EventStreamClient("fake", new ProviderProperties(ProviderType.OPENAI, baseUrl, List.of(KEY),
                List.of("*"), 10, 10, Duration.ofSeconds(2), null, null, new ProviderProperties.Timeouts(
                        Duration.ofSeconds(2), Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(300)),
                Duration.ofMillis(40), ReplyOptions.CapName.MAX_TOKENS, false), JSON,
                OpenAiProtocol.of(baseUrl, ReplyOptions.CapName.MAX_TOKENS, JSON), HttpResources.get());
        embeddings = OpenAiProtocol.embeddings(baseUrl);
    }

    @AfterEach
    void stop() {
        client.dispose();
        fake.close();
    }

    @Test
    void aReplyWrittenInPiecesComesBackWholeToOneJsonPostWithTheProtocolsKey() {
        // Three writes: the pieces are cut at blank lines.
        String reply = "{\"data\":\n\n[1,\n\n2]}";
        fake.enqueue(Reply.events(reply.getBytes(StandardCharsets.UTF_8)));

        byte[] body = post(Map.of("model", "m", "input", "hi")).block(TIMEOUT);

        assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo(reply);
        FakeEventServer.Received sent = fake.received().get(0);
        assertThat(sent.uri()).isEqualTo("/v1/embeddings");
        assertThat(sent.headers()).containsEntry("authorization", "Bearer " + KEY)
                .containsEntry("content-type", "application/json").containsEntry("accept", "application/json")
                .as("sent whole, with its length").containsKey("content-length");
        assertThat(JSON.readTree(sent.body()).path("input").asString()).isEqualTo("hi");
    }

    @Test
    void aReplyThatGrowsPastTheLimitFailsWithTheCallersErrorAndItsConnectionIsClosed() {
        fake.enqueue(Reply.events(("{\"data\":\"" + "x".repeat(LIMIT) + "\"}\n\n").getBytes(StandardCharsets.UTF_8))
                .stallAfter(1));

        post(Map.of("input", "hi"))
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(IllegalStateException.class)
                        .hasMessage("too large"))
                .verify(TIMEOUT);

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(fake.cancelledStreams())
                .as("not read on: the connection is closed").isEqualTo(1));
    }

    @Test
    void aDeclaredLengthPastTheLimitIsRefusedBeforeTheBodyIsRead() {
        String reply = "{\"data\":\"" + "x".repeat(LIMIT) + "\"}";
        // The headers alone, then silence: only a refusal on the declared length can answer.
        fake.enqueue(Reply.events(reply.getBytes(StandardCharsets.UTF_8))
                .header("content-length", Integer.toString(reply.length())).stallAfter(0));

        post(Map.of("input", "hi"))
                .as(StepVerifier::create)
                .expectErrorMessage("too large")
                .verify(TIMEOUT);
    }

    @Test
    void errorsAreTypedAsForAChatAndNeverEchoTheKey() {
        fake.enqueue(Reply.status(429, "{\"error\":{\"message\":\"slow down\",\"code\":\"rate_limit_exceeded\"}}")
                        .header("retry-after", "7"),
                Reply.status(401, "{\"error\":{\"message\":\"Incorrect API key provided: " + KEY + "\"}}"));

        post(Map.of("input", "hi"))
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> assertThat(((RateLimited) error).retryAfter()).isEqualTo(Duration.ofSeconds(7)))
                .verify(TIMEOUT);
        post(Map.of("input", "hi"))
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(AuthRejected.class)
                        .hasMessageContaining("[redacted]").hasMessageNotContaining(KEY))
                .verify(TIMEOUT);
    }

    @Test
    void aConnectionDroppedMidReplyIsABrokenReply() {
        fake.enqueue(Reply.events("{\"data\":\n\n[1,2]}".getBytes(StandardCharsets.UTF_8)).dropAfter(1));

        post(Map.of("input", "hi"))
                .as(StepVerifier::create)
                .expectError(StreamBroken.class)
                .verify(TIMEOUT);
    }

    private Mono<byte[]> post(Object body) {
        return client.post(embeddings, body, KEY, LIMIT, () -> new IllegalStateException("too large"));
    }
}
