package dev.sluice.gateway.provider.openai;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;

import dev.sluice.bench.FakeUpstream;
import dev.sluice.bench.Script;
import dev.sluice.gateway.llm.ChatChunk.Finish;
import dev.sluice.gateway.llm.ReplyOptions;
import dev.sluice.gateway.llm.ChatChunk.TextDelta;
import dev.sluice.gateway.llm.ChatChunk.Usage;
import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatReply;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.provider.ProviderProperties;
import dev.sluice.gateway.provider.ProviderType;
import dev.sluice.gateway.provider.UpstreamCall;
import dev.sluice.gateway.provider.UpstreamException.AuthRejected;
import dev.sluice.gateway.provider.UpstreamException.RateLimited;
import dev.sluice.gateway.provider.UpstreamException.Rejected;
import dev.sluice.gateway.provider.UpstreamException.StreamBroken;
import dev.sluice.gateway.provider.UpstreamException.TimedOut;
import dev.sluice.gateway.provider.UpstreamException.Unavailable;
import dev.sluice.gateway.provider.http.EventStreamClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.HttpResources;
import reactor.netty.resources.LoopResources;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The OpenAI protocol's client against a scripted OpenAI-compatible server on a real socket. */
class OpenAiProviderClientTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private FakeUpstream fake;
    private EventStreamClient client;

    @BeforeEach
    void start() {
        // A fake per test: a connection cancelled late by one test cannot count in the next.
        fake = FakeUpstream.start();
        client = client(fake.baseUrl(), Duration.ofSeconds(10), 10, 10, Duration.ofSeconds(2));
    }

    @AfterEach
    void stop() {
        client.dispose();
        fake.close();
    }

    @Test
    void streamedTextArrivesAsTextDeltasThenFinishAndUsage() {
        fake.enqueue(Script.text("Hello", " world"));

        client.stream(call("sk-test"))
                .as(StepVerifier::create)
                .expectNext(new TextDelta("Hello"), new TextDelta(" world"), new Finish(FinishReason.STOP))
                .assertNext(usage -> assertThat(((Usage) usage).completionTokens()).isEqualTo(2))
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void theApiKeyIsSentAsABearerTokenWithAStreamingBody() {
        client.stream(call("sk-test")).then().block(TIMEOUT);

        assertThat(fake.apiKeys()).containsExactly("sk-test");
        JsonNode body = JSON.readTree(fake.requestBodies().get(0));
        assertThat(body.path("model").stringValue()).isEqualTo("fake-model");
        assertThat(body.path("stream").booleanValue()).as("a streamed call is streamed upstream").isTrue();
        assertThat(body.path("stream_options").path("include_usage").booleanValue()).isTrue();
        assertThat(body.path("messages").get(0).path("content").stringValue()).isEqualTo("Say hello");
    }

    @Test
    void aWholeCallIsAskedForWholeAndReadAsTheChunksOfAStream() {
        useWholeReplies(Duration.ofSeconds(10));
        fake.enqueue(Script.text("Hello", " world"));

        client.stream(wholeCall()).as(StepVerifier::create)
                .expectNext(new TextDelta("Hello world"), new Finish(FinishReason.STOP))
                .assertNext(usage -> assertThat(((Usage) usage).completionTokens()).isEqualTo(2))
                .expectComplete()
                .verify(TIMEOUT);

        JsonNode body = JSON.readTree(fake.requestBodies().get(0));
        assertThat(body.path("stream").booleanValue()).as("a whole reply is asked for whole").isFalse();
        assertThat(body.has("stream_options")).as("a whole reply always carries its usage").isFalse();
    }

    @Test
    void aWholeToolCallIsReadWithItsIdNameAndArguments() {
        useWholeReplies(Duration.ofSeconds(10));
        fake.enqueue(Script.toolCall("get_weather", "{\"city\":\"Paris\"}"));

        ChatReply reply = ChatReply.collect(client.stream(wholeCall())).block(TIMEOUT);

        assertThat(reply.toolCalls()).containsExactly(new ToolCall("call_fake", "get_weather", "{\"city\":\"Paris\"}"));
        assertThat(reply.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
    }

    @Test
    void aWholeReplySlowerThanTheIdleTimeoutStillArrives() {
        useWholeReplies(Duration.ofMillis(200));
        fake.enqueue(Script.text("late").firstTokenAfter(Duration.ofMillis(600)));

        ChatReply reply = ChatReply.collect(client.stream(wholeCall())).block(TIMEOUT);

        assertThat(reply.text()).as("silent until done, which the total timeout bounds, not the idle one")
                .isEqualTo("late");
    }

    @Test
    void anErrorDocumentInsteadOfAWholeReplyBreaksIt() {
        useWholeReplies(Duration.ofSeconds(10));
        fake.enqueue(Script.text("Hi").midStreamError(0, "model crashed"));

        client.stream(wholeCall()).as(StepVerifier::create)
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(StreamBroken.class)
                        .hasMessageContaining("model crashed"))
                .verify(TIMEOUT);
    }

    @Test
    void aWholeReplyThatNeverSaysItFinishedBreaks() {
        useWholeReplies(Duration.ofSeconds(10));
        fake.enqueue(Script.events("{\"choices\":[{\"index\":0,\"message\":{\"content\":\"Hi\"}}]}"));

        client.stream(wholeCall()).as(StepVerifier::create)
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(StreamBroken.class)
                        .hasMessageContaining("finished"))
                .verify(TIMEOUT);
    }

    @Test
    void onlyAProviderThatSaysWholeRepliesTakesWholeCalls() {
        assertThat(client.asksWholeReplies()).as("off by default: the first-token timeout needs a stream").isFalse();
        useWholeReplies(Duration.ofSeconds(10));
    }

    @Test
    void aCallWithoutKeySendsNoAuthorization() {
        client.stream(call(null)).then().block(TIMEOUT);

        assertThat(fake.apiKeys()).as("local servers such as Ollama take no key").containsExactly("");
    }

    @Test
    void aBaseUrlWithATrailingSlashWorksToo() {
        client.dispose();
        client = client(fake.baseUrl() + "/", Duration.ofSeconds(10), 10, 10, Duration.ofSeconds(2));

        client.stream(call("sk-test")).then().block(TIMEOUT);

        assertThat(fake.requests()).isEqualTo(1);
    }

    @Test
    void aStreamedToolCallAssemblesIntoOneCall() {
        fake.enqueue(Script.toolCall("get_weather", "{\"city\":\"Paris\"}"));

        ChatReply reply = ChatReply.collect(client.stream(call("sk-test"))).block(TIMEOUT);

        assertThat(reply.toolCalls()).containsExactly(new ToolCall("call_fake", "get_weather", "{\"city\":\"Paris\"}"));
        assertThat(reply.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
    }

    @Test
    void aRateLimitCarriesTheUpstreamsRetryAfter() {
        fake.enqueue(Script.status(429).retryAfter(Duration.ofSeconds(3)));

        client.stream(call("sk-test"))
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> {
                    assertThat(error).isInstanceOf(RateLimited.class);
                    assertThat(((RateLimited) error).retryAfter()).as("cools the key down that long")
                            .isEqualTo(Duration.ofSeconds(3));
                })
                .verify(TIMEOUT);
    }

    @Test
    void aServerErrorMakesTheUpstreamUnavailable() {
        fake.enqueue(Script.status(500));

        client.stream(call("sk-test"))
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(Unavailable.class)
                        .hasMessage("HTTP 500: The server had an error while processing your request"))
                .verify(TIMEOUT);
    }

    @Test
    void aRefusedKeyIsAuthRejectedWithoutEchoingTheKey() {
        fake.enqueue(Script.status(401, "Incorrect API key provided: sk-test"));

        client.stream(call("sk-test"))
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> {
                    assertThat(error).isInstanceOf(AuthRejected.class);
                    assertThat(((AuthRejected) error).status()).isEqualTo(401);
                    assertThat(error.getMessage()).as("never the key").doesNotContain("sk-test");
                })
                .verify(TIMEOUT);
    }

    @Test
    void aBadRequestIsRejectedWithTheUpstreamsReason() {
        fake.enqueue(Script.status(400, "max_tokens is too large: 99999999"));

        client.stream(call("sk-test"))
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(Rejected.class)
                        .hasMessage("HTTP 400: max_tokens is too large: 99999999"))
                .verify(TIMEOUT);
    }

    @Test
    void aConnectionDroppedMidStreamBreaksTheStreamAfterTheTokensSoFar() {
        fake.enqueue(Script.tokens(5).dropAfter(2));

        client.stream(call("sk-test"))
                .as(StepVerifier::create)
                .expectNext(new TextDelta("tok0 "), new TextDelta("tok1 "))
                .expectError(StreamBroken.class)
                .verify(TIMEOUT);
    }

    @Test
    void aResponseThatEndsWithoutFinishingIsABrokenStreamNotASuccess() {
        fake.enqueue(Script.tokens(2).withoutDone());

        client.stream(call("sk-test"))
                .as(StepVerifier::create)
                .expectNext(new TextDelta("tok0 "), new TextDelta("tok1 "))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(StreamBroken.class)
                        .hasMessage("upstream closed the stream before finishing"))
                .verify(TIMEOUT);
    }

    @Test
    void anErrorEventMidStreamBreaksTheStreamWithItsMessage() {
        fake.enqueue(Script.tokens(5).midStreamError(1, "The model is overloaded"));

        client.stream(call("sk-test"))
                .as(StepVerifier::create)
                .expectNext(new TextDelta("tok0 "))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(StreamBroken.class)
                        .hasMessageContaining("The model is overloaded"))
                .verify(TIMEOUT);
    }

    @Test
    void anUpstreamSilentForLongerThanTheIdleTimeoutTimesOut() {
        client.dispose();
        client = client(fake.baseUrl(), Duration.ofMillis(300), 10, 10, Duration.ofSeconds(2));
        fake.enqueue(Script.tokens(5).stallAfter(1));

        client.stream(call("sk-test"))
                .as(StepVerifier::create)
                .expectNext(new TextDelta("tok0 "))
                .expectErrorSatisfies(error -> {
                    assertThat(error).isInstanceOf(TimedOut.class);
                    assertThat(((TimedOut) error).phase()).isEqualTo(TimedOut.Phase.IDLE);
                })
                .verify(TIMEOUT);
        await().atMost(Duration.ofSeconds(1)).untilAsserted(() -> assertThat(fake.cancelledStreams())
                .as("the stalled connection is closed, not left hanging").isEqualTo(1));
    }

    @Test
    void aClosedPortMakesTheUpstreamUnavailable() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        client.dispose();
        client = client("http://127.0.0.1:" + port + "/v1", Duration.ofSeconds(10), 10, 10, Duration.ofSeconds(2));

        client.stream(call("sk-test"))
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(Unavailable.class)
                        .hasMessageContaining("cannot connect"))
                .verify(TIMEOUT);
    }

    @Test
    void cancellingMidStreamClosesTheUpstreamStreamAtOnce() {
        fake.enqueue(Script.tokens(200).every(Duration.ofMillis(20)));

        client.stream(call("sk-test"))
                .take(2)
                .as(StepVerifier::create)
                .expectNextCount(2)
                .verifyComplete();

        await().atMost(Duration.ofSeconds(1)).untilAsserted(() -> assertThat(fake.cancelledStreams())
                .as("no orphan generation keeps burning tokens").isEqualTo(1));
        assertThat(fake.completedStreams()).isZero();
    }

    @Test
    void cancellingWhileWaitingForTheFirstTokenClosesTheUpstreamStreamToo() {
        fake.enqueue(Script.tokens(3).firstTokenAfter(Duration.ofSeconds(5)));

        Disposable subscription = client.stream(call("sk-test")).subscribe();
        await().atMost(TIMEOUT).until(() -> fake.requests() == 1);
        subscription.dispose();

        await().atMost(Duration.ofSeconds(1)).untilAsserted(() -> assertThat(fake.cancelledStreams()).isEqualTo(1));
    }

    @Test
    void aFullPoolWithoutQueueTurnsTheNextCallAwayAsUnavailable() {
        client.dispose();
        client = client(fake.baseUrl(), Duration.ofSeconds(10), 1, 0, Duration.ofSeconds(2));
        fake.enqueue(Script.tokens(3).stallAfter(0));
        Disposable first = client.stream(call("sk-test")).subscribe();
        await().atMost(TIMEOUT).until(() -> fake.requests() == 1);

        client.stream(call("sk-test"))
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> assertThat(error).as("max-concurrency 1, max-queue 0")
                        .isInstanceOf(Unavailable.class))
                .verify(TIMEOUT);
        first.dispose();
    }

    @Test
    void aCallQueuedForLongerThanMaxQueueWaitIsUnavailable() {
        client.dispose();
        client = client(fake.baseUrl(), Duration.ofSeconds(10), 1, 5, Duration.ofMillis(200));
        fake.enqueue(Script.tokens(3).stallAfter(0));
        Disposable first = client.stream(call("sk-test")).subscribe();
        await().atMost(TIMEOUT).until(() -> fake.requests() == 1);

        client.stream(call("sk-test"))
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(Unavailable.class)
                        .hasMessageContaining("no free connection"))
                .verify(TIMEOUT);
        first.dispose();
    }

    @Test
    void aFreedConnectionServesTheNextQueuedCall() {
        client.dispose();
        client = client(fake.baseUrl(), Duration.ofSeconds(10), 1, 5, Duration.ofSeconds(5));
        fake.enqueue(Script.tokens(3).every(Duration.ofMillis(50)), Script.text("next"));

        StepVerifier.create(client.stream(call("sk-test")).concatWith(client.stream(call("sk-test"))).then())
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(fake.completedStreams()).as("one connection, used one call after the other").isEqualTo(2);
    }

    @Test
    void aCallMadeOnAnEventLoopIsServedOnThatLoop() throws Exception {
        LoopResources loops = LoopResources.create("lanes-test", 2, true);
        EventStreamClient lanes = client(fake.baseUrl(), Duration.ofSeconds(10), 10, 10, Duration.ofSeconds(2), loops);
        try {
            for (EventExecutor loop : loops.onServer(LoopResources.DEFAULT_NATIVE)) {
                Thread loopThread = loop.submit(Thread::currentThread).get();
                fake.enqueue(Script.text("Hello", " world"));
                Flux.defer(() -> lanes.stream(call("sk-test"))).subscribeOn(Schedulers.fromExecutor(loop))
                        .map(chunk -> Thread.currentThread())
                        .as(StepVerifier::create)
                        .thenConsumeWhile(thread -> true, thread -> assertThat(thread)
                                .as("the reply on the caller's loop, not on the loop of a connection an earlier call left")
                                .isSameAs(loopThread))
                        .expectComplete()
                        .verify(TIMEOUT);
            }
        }
        finally {
            lanes.dispose();
            loops.disposeLater().block(TIMEOUT);
        }
    }

    private static EventStreamClient client(String baseUrl, Duration idle, int maxConcurrency, int maxQueue,
            Duration maxQueueWait) {
        return client(baseUrl, idle, maxConcurrency, maxQueue, maxQueueWait, HttpResources.get());
    }

    private static EventStreamClient client(String baseUrl, Duration idle, int maxConcurrency, int maxQueue,
            Duration maxQueueWait, LoopResources loops) {
        return client(baseUrl, idle, maxConcurrency, maxQueue, maxQueueWait, loops, false);
    }

    private static EventStreamClient client(String baseUrl, Duration idle, int maxConcurrency, int maxQueue,
            Duration maxQueueWait, LoopResources loops, boolean wholeReplies) {
        ProviderProperties properties = new ProviderProperties(ProviderType.OPENAI, URI.create(baseUrl), List.of("sk-test"),
                List.of("*"), maxConcurrency, maxQueue, maxQueueWait, null, null,
                new ProviderProperties.Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(15), idle, Duration.ofSeconds(300)),
                Duration.ofMillis(40), ReplyOptions.CapName.MAX_TOKENS, wholeReplies);
        return new EventStreamClient("fake", properties, JSON,
                OpenAiProtocol.of(properties.baseUrl(), properties.replyCapParameter(), JSON), loops);
    }

    /** This test's client asks for whole replies ({@code whole-replies}), with this idle timeout. */
    private void useWholeReplies(Duration idle) {
        client.dispose();
        client = client(fake.baseUrl(), idle, 10, 10, Duration.ofSeconds(2), HttpResources.get(), true);
        assertThat(client.asksWholeReplies()).isTrue();
    }

    private static UpstreamCall wholeCall() {
        return new UpstreamCall("fake-model", ChatRequest.of("fast", List.of(ChatMessage.of(Role.USER, "Say hello"))),
                "sk-test", true);
    }

    private static UpstreamCall call(String apiKey) {
        return new UpstreamCall("fake-model", ChatRequest.of("fast", List.of(ChatMessage.of(Role.USER, "Say hello"))), apiKey);
    }
}
