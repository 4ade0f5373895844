package dev.sluice.gateway.status;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import dev.sluice.bench.FakeUpstream;
import dev.sluice.gateway.provider.ProviderType;
import dev.sluice.gateway.provider.key.KeyPool;
import dev.sluice.gateway.testing.GlobalVirtualTime;
import io.netty.handler.codec.http.HttpHeaderNames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.LoopResources;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** A "*" provider's own model list: fetched with a key over a real socket, on a schedule, kept through failures, bounded. */
@GlobalVirtualTime
class UpstreamModelListsTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final FakeUpstream fake = FakeUpstream.start();
    private final UpstreamModelLists lists = new UpstreamModelLists(List.of(new UpstreamModelLists.Listing("fake",
            ProviderType.OPENAI, URI.create(fake.baseUrl() + "/models"), new KeyPool("fake", List.of("k1")),
            (headers, key) -> headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + key), TIMEOUT)), new ProviderProbe(), JSON, Duration.ofMinutes(5));

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void aRefreshFetchesTheListWithAKeyAndTheNextOneSeesAChange() {
        assertThat(lists.of("fake")).as("nothing before the first fetch").isEmpty();

        lists.refresh().block(TIMEOUT);
        assertThat(lists.of("fake")).containsExactly("fake-model");
        assertThat(fake.modelListKeys()).as("asked with the provider's key").containsExactly("k1");

        fake.listModels("llama-3.1-8b", "qwen2.5:7b");
        lists.refresh().block(TIMEOUT);
        assertThat(lists.of("fake")).containsExactly("llama-3.1-8b", "qwen2.5:7b");
    }

    @Test
    void theListIsFetchedAtOnceAndThenEveryRefreshInterval() {
        StepVerifier.withVirtualTime(lists::refreshes)
                .expectSubscription()
                .then(() -> await("the fetch at start").atMost(TIMEOUT).until(() -> lists.of("fake").equals(List.of("fake-model"))))
                .then(() -> fake.listModels("newer"))
                .thenAwait(Duration.ofMinutes(5))
                .then(() -> await("the fetch a refresh interval later").atMost(TIMEOUT)
                        .until(() -> lists.of("fake").equals(List.of("newer"))))
                .thenCancel()
                .verify(TIMEOUT);
        assertThat(fake.modelListKeys()).as("no fetch but the two ticks'").hasSize(2);
    }

    @Test
    void aRoundOutlastingTheIntervalIsFollowedByOneAtOnce() {
        AtomicInteger asked = new AtomicInteger();
        LoopResources loops = LoopResources.create("silent-upstream", 1, true);
        // A real socket that accepts and never answers; the fetch's timeout runs on virtual time.
        DisposableServer silent = HttpServer.create().host("127.0.0.1").port(0).runOn(loops)
                .handle((request, response) -> {
                    asked.incrementAndGet();
                    return Mono.never();
                })
                .bindNow(TIMEOUT);
        try {
            UpstreamModelLists late = new UpstreamModelLists(List.of(new UpstreamModelLists.Listing("silent",
                    ProviderType.OPENAI, URI.create("http://127.0.0.1:" + silent.port() + "/models"),
                    new KeyPool("silent", List.of("k1")), (headers, key) -> { }, Duration.ofMinutes(7))),
                    new ProviderProbe(), JSON, Duration.ofMinutes(5));

            StepVerifier.withVirtualTime(late::refreshes)
                    .expectSubscription()
                    .then(() -> await("the fetch at start").atMost(TIMEOUT).until(() -> asked.get() == 1))
                    // The first round times out at 7 min; the tick it missed at 5 min starts the next one then.
                    .thenAwait(Duration.ofMinutes(7))
                    .then(() -> await("the next round as the late one ends").atMost(TIMEOUT).until(() -> asked.get() == 2))
                    .thenCancel()
                    .verify(TIMEOUT);
        }
        finally {
            silent.disposeNow(TIMEOUT);
            loops.disposeLater(Duration.ZERO, TIMEOUT).block(TIMEOUT);
        }
    }

    @Test
    void aFailedOrRefusedFetchKeepsTheLastGoodListAndCompletesWithoutError() {
        fake.listModels("m1");
        lists.refresh().block(TIMEOUT);

        fake.failModelList(true);
        StepVerifier.create(lists.refresh()).as("a 503 is no error to the caller").verifyComplete();
        assertThat(lists.of("fake")).as("kept through the 503").containsExactly("m1");

        fake.failModelList(false).refuseKeys("k1");
        lists.refresh().block(TIMEOUT);
        assertThat(lists.of("fake")).as("kept through the 401").containsExactly("m1");

        fake.close();
        lists.refresh().block(TIMEOUT);
        assertThat(lists.of("fake")).as("kept with the provider gone").containsExactly("m1");
    }

    @Test
    void atMostAThousandModelsAreKeptEachOnceAndNamesSluiceWouldRefuseAreLeftOut() {
        String[] many = IntStream.range(0, 1500).mapToObj(i -> "m" + i).toArray(String[]::new);
        fake.listModels(many);
        lists.refresh().block(TIMEOUT);
        assertThat(lists.of("fake")).hasSize(UpstreamModelLists.MAX_MODELS).startsWith("m0", "m1");

        List<String> parsed = lists.parse(ProviderType.OPENAI, bytes(
                "{\"data\":[{\"id\":\"a\"},{\"id\":\"a\"},{\"id\":\"has space\"},{\"id\":3},{\"object\":\"model\"},{\"id\":\"b\"}]}"));
        assertThat(parsed).as("a repeat, a bad name, a non-string and a missing id left out").containsExactly("a", "b");
    }

    @Test
    void geminisListKeepsTheModelsThatChatWithoutTheirPrefix() {
        List<String> parsed = lists.parse(ProviderType.GEMINI, bytes("""
                {"models":[{"name":"models/gemini-2.5-flash","supportedGenerationMethods":["generateContent","countTokens"]},
                {"name":"models/text-embedding-004","supportedGenerationMethods":["embedContent"]}],"nextPageToken":"x"}"""));

        assertThat(parsed).as("an embedding model cannot chat").containsExactly("gemini-2.5-flash");
    }

    @Test
    void anAnswerWithoutAListIsAFailedFetchNotAnEmptyList() {
        assertThatThrownBy(() -> lists.parse(ProviderType.OPENAI, bytes("{\"error\":\"nope\"}")))
                .hasMessageContaining("no model list");
    }

    @Test
    void theProbesFetchStopsReadingABodyOverItsLimit() {
        StepVerifier.create(new ProviderProbe().fetch(URI.create(fake.baseUrl() + "/models"), headers -> { }, TIMEOUT, 10))
                .expectErrorSatisfies(error -> assertThat(error).as("a list of megabytes is not read whole")
                        .hasMessageContaining("over 10 bytes"))
                .verify(TIMEOUT);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
