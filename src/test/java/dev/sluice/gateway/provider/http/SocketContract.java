package dev.sluice.gateway.provider.http;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.ReplyOptions;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.provider.ProviderProperties;
import dev.sluice.gateway.provider.ProviderType;
import dev.sluice.gateway.provider.UpstreamCall;
import dev.sluice.gateway.provider.UpstreamException.AuthRejected;
import dev.sluice.gateway.provider.UpstreamException.RateLimited;
import dev.sluice.gateway.provider.UpstreamException.StreamBroken;
import dev.sluice.gateway.provider.UpstreamException.Unavailable;
import dev.sluice.gateway.provider.http.FakeEventServer.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.netty.http.HttpResources;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

/**
 * What every wire protocol's client must do against a fake upstream on a real socket: stream a recorded
 * reply, type rate limits and refused keys (never echoing the key), break on a dropped connection after
 * the tokens that came, and close the connection when the caller cancels. A protocol's test class
 * extends this with its protocol, recording and error shape, and adds what is its own.
 */
public abstract class SocketContract {

    protected static final Duration TIMEOUT = Duration.ofSeconds(10);
    protected static final JsonMapper JSON = JsonMapper.builder().build();
    protected static final String KEY = "sk-contract-secret-1234";

    protected FakeEventServer fake;
    protected EventStreamClient client;

    private final Function<URI, WireProtocol> protocols;
    private final String model;
    private final Recording text;
    private final BiFunction<Integer, String, String> errorBodies;

    /**
     * A recorded text reply.
     *
     * @param path its test resource
     * @param chunks what it decodes to
     * @param eventsThroughFirstToken how many of its events it takes to carry the first text delta
     */
    public record Recording(String path, List<ChatChunk> chunks, int eventsThroughFirstToken) {
    }

    /**
     * @param protocols the protocol under test, for its API at a base URL
     * @param model the protocol's own name for a model
     * @param text a recorded text reply
     * @param errorBodies the protocol's error body for a status and message
     */
    protected SocketContract(Function<URI, WireProtocol> protocols, String model, Recording text,
            BiFunction<Integer, String, String> errorBodies) {
        this.protocols = protocols;
        this.model = model;
        this.text = text;
        this.errorBodies = errorBodies;
    }

    @BeforeEach
    void start() {
        // A fake per test: a connection cancelled late by one test cannot count in the next.
        fake = FakeEventServer.start();
        client = new EventStreamClient("fake", properties(), JSON, protocols.apply(URI.create(fake.baseUrl() + "/v1")), HttpResources.get());
    }

    @AfterEach
    void stop() {
        client.dispose();
        fake.close();
    }

    @Test
    void aRecordedReplyStreamsAsItsChunks() {
        fake.enqueue(Reply.events(EventStreams.fixture(text.path())));

        client.stream(call())
                .as(StepVerifier::create)
                .expectNextSequence(text.chunks())
                .verifyComplete();
    }

    @Test
    void theCallIsOneJsonPostThatAsksForServerSentEvents() {
        fake.enqueue(Reply.events(EventStreams.fixture(text.path())));

        client.stream(call()).then().block(TIMEOUT);

        FakeEventServer.Received request = fake.received().get(0);
        assertThat(request.headers()).containsEntry("content-type", "application/json")
                .containsEntry("accept", "text/event-stream")
                .as("sent whole, with its length, not chunked")
                .containsEntry("content-length", String.valueOf(request.body().getBytes(StandardCharsets.UTF_8).length))
                .doesNotContainKey("transfer-encoding");
        assertThat(JSON.readTree(request.body()).isObject()).isTrue();
    }

    @Test
    void anErrorBodyIsReadOnlyUpToItsLimit() {
        String message = "x".repeat(4 * UpstreamFailures.MAX_ERROR_BODY_BYTES);
        fake.enqueue(Reply.status(500, errorBodies.apply(500, message)));

        client.stream(call())
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(Unavailable.class)
                        .as("cut at the limit, the JSON no longer parses: the text stands for itself")
                        .hasMessageStartingWith("HTTP 500: {"))
                .verify(TIMEOUT);
    }

    @Test
    void aRateLimitCarriesTheUpstreamsRetryAfter() {
        fake.enqueue(Reply.status(429, errorBodies.apply(429, "Rate limit exceeded")).header("retry-after", "3"));

        client.stream(call())
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> {
                    assertThat(error).isInstanceOf(RateLimited.class).hasMessageContaining("Rate limit exceeded");
                    assertThat(((RateLimited) error).retryAfter()).as("cools the key down that long")
                            .isEqualTo(Duration.ofSeconds(3));
                })
                .verify(TIMEOUT);
    }

    @Test
    void aRefusedKeyIsAuthRejectedWithoutEchoingTheKey() {
        fake.enqueue(Reply.status(401, errorBodies.apply(401, "invalid key: " + KEY)));

        client.stream(call())
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> {
                    assertThat(error).isInstanceOf(AuthRejected.class);
                    assertThat(error.getMessage()).as("never the key").doesNotContain(KEY).contains("invalid key");
                })
                .verify(TIMEOUT);
    }

    @Test
    void aServerErrorMakesTheUpstreamUnavailable() {
        fake.enqueue(Reply.status(503, errorBodies.apply(503, "The service is temporarily unavailable")));

        client.stream(call())
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(Unavailable.class)
                        .hasMessage("HTTP 503: The service is temporarily unavailable"))
                .verify(TIMEOUT);
    }

    @Test
    void aConnectionDroppedMidStreamBreaksTheStreamAfterTheTokensSoFar() {
        fake.enqueue(Reply.events(EventStreams.fixture(text.path())).dropAfter(text.eventsThroughFirstToken()));

        client.stream(call())
                .as(StepVerifier::create)
                .expectNext(text.chunks().get(0))
                .expectErrorSatisfies(error -> assertThat(error).as("a cut reply must never look complete")
                        .isInstanceOf(StreamBroken.class))
                .verify(TIMEOUT);
    }

    @Test
    void cancellingMidStreamClosesTheUpstreamConnectionAtOnce() {
        fake.enqueue(Reply.events(EventStreams.fixture(text.path())).every(Duration.ofMillis(300)));

        client.stream(call())
                .take(1)
                .as(StepVerifier::create)
                .expectNextCount(1)
                .verifyComplete();

        await().atMost(Duration.ofSeconds(1)).untilAsserted(() -> assertThat(fake.cancelledStreams())
                .as("no orphan generation keeps burning tokens").isEqualTo(1));
        assertThat(fake.completedStreams()).isZero();
    }

    @Test
    void cancellingWhileWaitingForTheFirstEventClosesTheConnectionToo() {
        fake.enqueue(Reply.events(EventStreams.fixture(text.path())).stallAfter(0));

        Disposable subscription = client.stream(call()).subscribe();
        await().atMost(TIMEOUT).until(() -> fake.requests() == 1);
        subscription.dispose();

        await().atMost(Duration.ofSeconds(1)).untilAsserted(() -> assertThat(fake.cancelledStreams()).isEqualTo(1));
    }

    @Test
    void cancellingBeforeTheReplyHeadersArriveClosesTheConnectionToo() throws IOException {
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            EventStreamClient waiting = new EventStreamClient("silent", properties(), JSON,
                    protocols.apply(URI.create("http://127.0.0.1:" + silent.getLocalPort() + "/v1")), HttpResources.get());
            Disposable subscription = waiting.stream(call()).subscribe(chunk -> { }, error -> { });
            try (Socket upstream = silent.accept()) {
                upstream.setSoTimeout((int) Duration.ofSeconds(1).toMillis());
                InputStream in = upstream.getInputStream();
                assertThat(in.read(new byte[8192])).as("the request arrived").isPositive();
                subscription.dispose();
                assertThatCode(in::readAllBytes).as("closed at once, though the upstream never answered")
                        .doesNotThrowAnyException();
            }
            finally {
                waiting.dispose();
            }
        }
    }

    protected UpstreamCall call() {
        return new UpstreamCall(model, ChatRequest.of("alias", List.of(ChatMessage.of(Role.USER, "Say hello"))), KEY);
    }

    /** Every call to the fake on one small pool; the client itself does not look at the type. */
    private static ProviderProperties properties() {
        return new ProviderProperties(ProviderType.OPENAI, null, List.of(KEY), List.of("*"), 10, 10, Duration.ofSeconds(2),
                null, null, new ProviderProperties.Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(15),
                        Duration.ofSeconds(10), Duration.ofSeconds(300)), Duration.ofMillis(40), ReplyOptions.CapName.MAX_TOKENS, false);
    }
}
