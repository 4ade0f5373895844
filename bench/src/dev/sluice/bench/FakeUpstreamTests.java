package dev.sluice.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class FakeUpstreamTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private FakeUpstream fake;
    private HttpClient client;

    @BeforeEach
    void start() {
        fake = FakeUpstream.start();
        // A fresh connection per request, so a cancelled or dropped reply never leaks into the next test.
        client = HttpClient.newConnection().responseTimeout(TIMEOUT);
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void streamsEachTokenAsAChunkThenFinishUsageAndDone() {
        fake.enqueue(Script.tokens(3));

        Reply reply = post("k1", body(true, true));

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("text/event-stream");
        List<String> events = reply.events();
        assertThat(events).as("3 tokens, finish, usage, done").hasSize(6);
        assertThat(events.get(0)).contains("\"object\":\"chat.completion.chunk\"").contains("\"model\":\"m1\"")
                .contains("\"delta\":{\"role\":\"assistant\",\"content\":\"tok0 \"}").contains("\"finish_reason\":null");
        assertThat(events.get(2)).contains("\"delta\":{\"content\":\"tok2 \"}");
        assertThat(events.get(3)).contains("\"delta\":{}").contains("\"finish_reason\":\"stop\"");
        assertThat(events.get(4)).contains("\"choices\":[]").contains("\"completion_tokens\":3");
        assertThat(events.get(5)).isEqualTo("data: [DONE]");
        await().atMost(TIMEOUT).until(() -> fake.completedStreams() == 1);
        assertThat(fake.cancelledStreams()).isZero();
    }

    @Test
    void omitsTheUsageChunkUnlessAskedFor() {
        fake.enqueue(Script.text("Hello", " world"));

        List<String> events = post("k1", body(true, false)).events();

        assertThat(events).hasSize(4);
        assertThat(events).noneMatch(e -> e.contains("usage"));
    }

    @Test
    void pacesTokensAfterTheFirstTokenDelay() {
        fake.enqueue(Script.tokens(3).firstTokenAfter(Duration.ofMillis(150)).every(Duration.ofMillis(50)));

        long start = System.nanoTime();
        Reply reply = post("k1", body(true, false));
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;

        assertThat(reply.events()).hasSize(5);
        assertThat(elapsedMs).as("first token at 150 ms, last one 2 x 50 ms later").isGreaterThanOrEqualTo(250);
    }

    @Test
    void answersANonStreamingRequestWithOneCompletion() {
        fake.enqueue(Script.text("Hello", " world").finishReason("length"));

        Reply reply = post("k1", body(false, false));

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/json");
        assertThat(reply.body()).contains("\"object\":\"chat.completion\"")
                .contains("\"message\":{\"role\":\"assistant\",\"content\":\"Hello world\"}")
                .contains("\"finish_reason\":\"length\"")
                .contains("\"completion_tokens\":2");
        await().atMost(TIMEOUT).until(() -> fake.completedStreams() == 1);
    }

    @Test
    void rateLimitsWithRetryAfterAndAnOpenAiErrorBody() {
        fake.enqueue(Script.status(429).retryAfter(Duration.ofMillis(2500)));

        Reply limited = post("k1", body(true, false));
        Reply next = post("k1", body(true, false));

        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.headers().get(HttpHeaderNames.RETRY_AFTER)).as("seconds, rounded up").isEqualTo("3");
        assertThat(limited.body()).isEqualTo(
                "{\"error\":{\"message\":\"Rate limit reached for requests\",\"type\":\"requests\","
                        + "\"code\":\"rate_limit_exceeded\"}}");
        assertThat(next.status()).as("the default script answers once the queue is empty").isEqualTo(200);
        await().atMost(TIMEOUT).until(() -> fake.completedStreams() == 1);
        assertThat(fake.requests()).isEqualTo(2);
    }

    @Test
    void dropsTheConnectionAfterSomeTokensWithoutDone() {
        fake.enqueue(Script.tokens(5).dropAfter(2));

        Reply reply = post("k1", body(true, false));

        assertThat(reply.body()).contains("tok0 ").contains("tok1 ").doesNotContain("tok2 ").doesNotContain("[DONE]");
        assertThat(reply.error()).as("the client sees a broken response").isNotNull();
        assertThat(fake.completedStreams()).isZero();
        assertThat(fake.cancelledStreams()).as("a drop is the server's doing, not a client cancel").isZero();
    }

    @Test
    void countsAClientLeavingAStalledStreamAsCancelledOnce() {
        fake.enqueue(Script.tokens(5).stallAfter(1));

        String first = stream(body(true, false)).blockFirst(TIMEOUT);

        assertThat(first).contains("tok0 ");
        await().atMost(TIMEOUT).until(() -> fake.cancelledStreams() == 1);
        assertThat(fake.completedStreams()).isZero();
    }

    @Test
    void countsAClientLeavingBeforeTheFirstTokenAsCancelled() {
        fake.enqueue(Script.tokens(5).firstTokenAfter(Duration.ofMinutes(1)));

        Disposable reading = stream(body(true, false)).subscribe();
        await().atMost(TIMEOUT).until(() -> fake.requests() == 1);
        assertThat(fake.openConnections()).isEqualTo(1);
        reading.dispose();

        await().atMost(TIMEOUT).until(() -> fake.cancelledStreams() == 1);
        assertThat(fake.completedStreams()).isZero();
        await().atMost(TIMEOUT).until(() -> fake.openConnections() == 0);
        assertThat(fake.closedConnections()).as("the client's leaving closed its socket").isEqualTo(1);
    }

    @Test
    void stampsEachCancelledStreamWithTheIdInItsPromptAndListsThem() {
        fake.enqueue(Script.tokens(5).stallAfter(1), Script.tokens(5).stallAfter(1), Script.tokens(2));
        Instant before = Instant.now();

        stream(body("Say hi bench-id:run-7")).blockFirst(TIMEOUT);
        stream(body("Say hi without an id")).blockFirst(TIMEOUT);
        post("k1", body("Say hi bench-id:run-8"));
        await().atMost(TIMEOUT).until(() -> fake.cancelledStreams() == 2 && fake.completedStreams() == 1);
        Instant after = Instant.now();

        List<Stamp> cancels = fake.cancels();
        assertThat(cancels).as("cancelled and marked: run-8 was read to its end").singleElement()
                .satisfies(stamp -> {
                    assertThat(stamp.id()).isEqualTo("run-7");
                    assertThat(stamp.at()).isBetween(before, after);
                });
        assertThat(client.get().uri("http://127.0.0.1:" + fake.port() + "/bench/cancels").responseContent().aggregate()
                .asString().block(TIMEOUT)).isEqualTo("run-7\t" + cancels.get(0).epochMicros() + "\n");
        fake.reset();
        assertThat(fake.cancels()).isEmpty();
    }

    @Test
    void streamsAToolCallInArgumentFragments() {
        String arguments = "{\"city\":\"Paris\",\"unit\":\"celsius\"}";
        fake.enqueue(Script.toolCall("get_weather", arguments));

        List<String> events = post("k1", body(true, false)).events();

        assertThat(events.get(0)).contains("\"name\":\"get_weather\"").contains("\"id\":\"call_fake\"");
        StringBuilder joined = new StringBuilder();
        for (String event : events.subList(1, events.size() - 2)) {
            String marker = "\"arguments\":";
            String quoted = event.substring(event.indexOf(marker) + marker.length(), event.indexOf("}}]"));
            joined.append(tools.jackson.databind.json.JsonMapper.builder().build().readValue(quoted, String.class));
        }
        assertThat(joined.toString()).as("fragments reassemble to the arguments").isEqualTo(arguments);
        assertThat(events.get(events.size() - 2)).contains("\"finish_reason\":\"tool_calls\"");
    }

    @Test
    void endsTruncatedAndErroredStreamsWithoutDone() {
        fake.enqueue(Script.tokens(2).withoutDone(), Script.tokens(3).midStreamError(1, "overloaded"));

        List<String> truncated = post("k1", body(true, false)).events();
        List<String> errored = post("k1", body(true, false)).events();

        assertThat(truncated).hasSize(2).noneMatch(e -> e.contains("finish_reason\":\"stop") || e.contains("[DONE]"));
        assertThat(errored).hasSize(2);
        assertThat(errored.get(1)).startsWith("data: {\"error\":{\"message\":\"overloaded\"");
    }

    @Test
    void recordsKeysAndBodiesInArrivalOrderUntilReset() {
        post("k1", body(true, false));
        post("k2", body(false, false));

        assertThat(fake.apiKeys()).containsExactly("k1", "k2");
        assertThat(fake.requestBodies()).containsExactly(body(true, false), body(false, false));
        fake.reset();
        assertThat(fake.requests()).isZero();
        assertThat(fake.apiKeys()).isEmpty();
        assertThat(fake.completedStreams()).isZero();
    }

    @Test
    void listsAModel() {
        String models = client.get().uri(fake.baseUrl() + "/models").responseContent().aggregate().asString()
                .block(TIMEOUT);

        assertThat(models).contains("\"object\":\"list\"").contains("\"id\":\"fake-model\"");
    }

    @Test
    void listsTheModelsATestSetsAndAnswers503WhileTheListFails() {
        fake.listModels("m1", "m2");
        String models = client.get().uri(fake.baseUrl() + "/models").responseContent().aggregate().asString()
                .block(TIMEOUT);
        fake.failModelList(true);
        int failed = client.get().uri(fake.baseUrl() + "/models").response().block(TIMEOUT).status().code();

        assertThat(models).as("the ids set, in order").contains("\"id\":\"m1\"").contains("\"id\":\"m2\"")
                .doesNotContain("fake-model");
        assertThat(failed).isEqualTo(503);
        fake.reset();
        assertThat(client.get().uri(fake.baseUrl() + "/models").responseContent().aggregate().asString().block(TIMEOUT))
                .as("reset() brings back the default list").contains("\"id\":\"fake-model\"");
    }

    @Test
    void answersEmbeddingsOneVectorPerInputCountingWordsAndRecordsTheBody() {
        String body = "{\"model\":\"e1\",\"input\":[\"one two\",\"three\"],\"dimensions\":2}";

        Reply reply = post("k1", "/embeddings", body);

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.body()).as("vectors i + 1 + j / 4, the words counted")
                .isEqualTo("{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[1.0,1.25]},"
                        + "{\"object\":\"embedding\",\"index\":1,\"embedding\":[2.0,2.25]}],\"model\":\"e1\","
                        + "\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}");
        assertThat(fake.requestBodies()).containsExactly(body);
        assertThat(fake.apiKeys()).containsExactly("k1");
    }

    @Test
    void answersEmbeddingsInBase64AsLittleEndianFloatsAndTakesScriptedErrors() {
        fake.enqueue(Script.status(429).retryAfter(Duration.ofSeconds(2)));

        Reply limited = post("k1", "/embeddings", "{\"model\":\"e1\",\"input\":\"hi\"}");
        Reply base64 = post("k1", "/embeddings", "{\"model\":\"e1\",\"input\":[7,8],\"encoding_format\":\"base64\"}");

        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.headers().get(HttpHeaderNames.RETRY_AFTER)).isEqualTo("2");
        assertThat(base64.body()).as("1.0, 1.25, 1.5 as float32 little-endian; two token ids")
                .contains("\"embedding\":\"AACAPwAAoD8AAMA/\"").contains("\"prompt_tokens\":2");
    }

    private static String body(boolean stream, boolean includeUsage) {
        return "{\"model\":\"m1\",\"stream\":" + stream
                + (includeUsage ? ",\"stream_options\":{\"include_usage\":true}" : "")
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}]}";
    }

    /** A streamed chat with a system message first and this user prompt. */
    private static String body(String prompt) {
        return "{\"model\":\"m1\",\"stream\":true,\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    }

    private Flux<String> stream(String body) {
        return client.headers(h -> h.set(HttpHeaderNames.AUTHORIZATION, "Bearer k1"))
                .post().uri(fake.baseUrl() + "/chat/completions")
                .send(ByteBufFlux.fromString(Mono.just(body)))
                .response((res, content) -> content.asString());
    }

    private Reply post(String key, String body) {
        return post(key, "/chat/completions", body);
    }

    private Reply post(String key, String path, String body) {
        return client.headers(h -> h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + key))
                .post().uri(fake.baseUrl() + path)
                .send(ByteBufFlux.fromString(Mono.just(body)))
                .response((res, content) -> {
                    // Keeps what arrived before a broken response, to assert on it.
                    StringBuilder received = new StringBuilder();
                    return content.asString()
                            .doOnNext(received::append)
                            .then(Mono.fromCallable(() -> new Reply(res.status().code(), res.responseHeaders(),
                                    received.toString(), null)))
                            .onErrorResume(e -> Mono.just(new Reply(res.status().code(), res.responseHeaders(),
                                    received.toString(), e)));
                })
                .single()
                .block(TIMEOUT);
    }

    private record Reply(int status, HttpHeaders headers, String body, Throwable error) {

        List<String> events() {
            return List.of(body.strip().split("\n\n"));
        }
    }
}
