package dev.sluice.gateway.cache;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.sluice.bench.Script;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The response cache through HTTP, in real Redis, against the fake upstream: hits replayed as streams on both APIs,
 * single flight, scopes, what is never stored, the request's Cache-Control, and the admin clear. Every test asks
 * something no other test or earlier run asked (a fresh UUID in the prompt), since Redis outlives the runs.
 */
// A lookup-timeout well above what a loaded test machine takes: a lookup given up is a miss, and single flight is
// what these tests are about.
@TestPropertySource(properties = {"sluice.auth.bootstrap-admin.email=" + ResponseCacheIT.ADMIN_EMAIL,
        "sluice.auth.bootstrap-admin.password=cache test password",
        "sluice.aliases.everyone.targets=fake/fake-model", "sluice.cache.shared-aliases=everyone",
        "sluice.cache.lookup-timeout=2s"})
class ResponseCacheIT extends IntegrationTest {

    static final String ADMIN_EMAIL = "cache-admin@admins.example";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Autowired
    MeterRegistry registry;

    @Test
    void aHundredIdenticalRequestsAtOnceMakeOneUpstreamCallAndGetAHundredCompleteStreams() {
        // Warm: the first requests of a context are the slowest, and the crowd must arrive while the call runs.
        post("/v1/chat/completions", openAiStream(uniquePrompt())).expectStatus().isOk();
        upstream.reset();
        // A first token late enough that every request arrives while the one call runs (within the tests' first-token
        // timeout), then tokens fast enough that the streams end before their first heartbeat.
        upstream.enqueue(Script.tokens(20).firstTokenAfter(Duration.ofMillis(1000)).every(Duration.ofMillis(10)));
        String body = openAiStream(uniquePrompt());
        double savedBefore = saved();
        // A pool as large as the crowd: WebClient's default would queue most of them on the client side.
        ConnectionProvider pool = ConnectionProvider.builder("cache-crowd").maxConnections(100).build();
        WebClient crowd = WebClient.builder().baseUrl("http://127.0.0.1:" + port)
                .clientConnector(new ReactorClientHttpConnector(HttpClient.create(pool))).build();

        List<ResponseEntity<List<String>>> replies;
        try {
            replies = Flux.range(0, 100)
                    .flatMap(i -> crowd.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                            .bodyValue(body).retrieve().toEntityList(String.class), 100)
                    .collectList()
                    .block(TIMEOUT);
        }
        finally {
            pool.disposeLater().block(TIMEOUT);
        }

        assertThat(upstream.requests()).as("one upstream call for all of them; cache answers: %s",
                replies.stream().map(reply -> reply.getHeaders().getFirst("X-Sluice-Cache")).toList()).isEqualTo(1);
        assertThat(replies).hasSize(100).allSatisfy(reply -> {
            assertThat(reply.getStatusCode().value()).isEqualTo(200);
            assertThat(reply.getHeaders().getFirst("X-Sluice-Cache")).isIn("miss", "hit");
            List<String> data = reply.getBody();
            assertThat(data).as("every client gets the whole stream").hasSize(20 + 2 + 1).last().isEqualTo("[DONE]");
            assertThat(data.stream().filter(chunk -> chunk.contains("\"content\":\"tok")).count()).isEqualTo(20);
        });
        assertThat(saved() - savedBefore).as("the other 99 shared the call (or, if late, hit its entry)").isEqualTo(99);
    }

    @Test
    void identicalRequestsArrivingBeforeDuringAndJustAfterAFastReplyMakeOneUpstreamCall() {
        // Answered at once: most requests arrive after the flight has ended, some while its entry is being written.
        upstream.defaultScript(Script.tokens(3));
        String body = openAiStream(uniquePrompt());
        ConnectionProvider pool = ConnectionProvider.builder("cache-stagger").maxConnections(50).build();
        WebClient crowd = WebClient.builder().baseUrl("http://127.0.0.1:" + port)
                .clientConnector(new ReactorClientHttpConnector(HttpClient.create(pool))).build();

        List<ResponseEntity<List<String>>> replies;
        try {
            // Warm (a fresh context's first requests are the slowest), with a question of its own.
            crowd.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(openAiStream(uniquePrompt())).retrieve().toEntityList(String.class).block(TIMEOUT);
            upstream.reset();
            // 200 requests, four more every millisecond, at most 50 at a time.
            replies = Flux.range(0, 200)
                    .flatMap(i -> Mono.delay(Duration.ofMillis(i / 4))
                            .then(crowd.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                                    .bodyValue(body).retrieve().toEntityList(String.class)), 50)
                    .collectList()
                    .block(TIMEOUT);
        }
        finally {
            pool.disposeLater().block(TIMEOUT);
        }

        assertThat(upstream.requests()).as("one upstream call: the others shared it or found its entry; cache answers: %s",
                replies.stream().map(reply -> reply.getHeaders().getFirst("X-Sluice-Cache")).toList()).isEqualTo(1);
        assertThat(replies).hasSize(200).allSatisfy(reply -> {
            assertThat(reply.getStatusCode().value()).isEqualTo(200);
            assertThat(reply.getBody()).as("three tokens, the finish, the usage, [DONE]").hasSize(3 + 2 + 1)
                    .last().isEqualTo("[DONE]");
        });
    }

    @Test
    void aStoredReplyIsReplayedAsAStreamOnBothApisWithUsageAndMarkedAsCached() {
        upstream.enqueue(Script.text("Bonjour", " le", " monde"));
        String prompt = uniquePrompt();
        double stored = count("sluice.cache.writes", "outcome", "stored");

        List<ServerSentEvent<String>> live = SseEvents.withData(post("/v1/chat/completions", openAiStream(prompt))
                .expectStatus().isOk()
                .expectHeader().valueEquals("X-Sluice-Cache", "miss")
                .expectHeader().valueEquals("X-Sluice-Attempts", "1")
                .expectBodyList(SseEvents.TYPE).returnResult().getResponseBody());
        awaitStored(stored);

        EntityExchangeResult<List<ServerSentEvent<String>>> replayed = post("/v1/chat/completions", openAiStream(prompt))
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_EVENT_STREAM)
                .expectHeader().valueEquals("X-Sluice-Cache", "hit")
                .expectHeader().valueEquals("X-Sluice-Provider", "fake/fake-model")
                .expectHeader().valueEquals("X-Sluice-Attempts", "0")
                .expectBodyList(SseEvents.TYPE).returnResult();
        List<ServerSentEvent<String>> hit = SseEvents.withData(replayed.getResponseBody());
        assertThat(hit).as("chunked like the live reply: three tokens, the finish, the usage, [DONE]").hasSize(6);
        assertThat(contents(hit)).isEqualTo(contents(live)).containsExactly("Bonjour", " le", " monde");
        assertThat(SseEvents.json(hit.get(4)).at("/usage/completion_tokens").asInt()).isEqualTo(3);
        assertThat(hit.get(5).data()).isEqualTo("[DONE]");

        List<ServerSentEvent<String>> events = SseEvents.withData(post("/api/v1/chat", """
                {"model":"fake","temperature":0,"messages":[{"role":"user","content":"%s"}]}""".formatted(prompt))
                .expectStatus().isOk()
                .expectHeader().valueEquals("X-Sluice-Cache", "hit")
                .expectBodyList(SseEvents.TYPE).returnResult().getResponseBody());
        assertThat(events).extracting(ServerSentEvent::event).containsExactly("token", "token", "token", "usage", "done");
        JsonNode done = SseEvents.json(events.get(4));
        assertThat(done.path("cached").asBoolean()).as("the native done event says it").isTrue();
        assertThat(done.path("provider").asString()).isEqualTo("fake/fake-model");
        assertThat(done.path("finish_reason").asString()).isEqualTo("stop");

        post("/v1/chat/completions", """
                {"model":"fake","temperature":0,"messages":[{"role":"user","content":"%s"}]}""".formatted(prompt))
                .expectStatus().isOk()
                .expectHeader().valueEquals("X-Sluice-Cache", "hit")
                .expectBody().jsonPath("$.choices[0].message.content").isEqualTo("Bonjour le monde");
        assertThat(upstream.requests()).as("only the first one went upstream").isEqualTo(1);
    }

    @Test
    void requestsThatAreNotDeterministicBypassTheCache() {
        String body = """
                {"model":"fake","messages":[{"role":"user","content":"%s"}]}""".formatted(uniquePrompt());

        post("/v1/chat/completions", body).expectStatus().isOk().expectHeader().valueEquals("X-Sluice-Cache", "bypass");
        post("/v1/chat/completions", body).expectStatus().isOk().expectHeader().valueEquals("X-Sluice-Cache", "bypass");

        assertThat(upstream.requests()).as("temperature unset: each goes upstream").isEqualTo(2);
    }

    @Test
    void maxAgeOptsARequestInWhateverItsTemperature() {
        String body = """
                {"model":"fake","temperature":0.9,"messages":[{"role":"user","content":"%s"}]}""".formatted(uniquePrompt());
        double stored = count("sluice.cache.writes", "outcome", "stored");

        postWith("/v1/chat/completions", body, "max-age=600").expectHeader().valueEquals("X-Sluice-Cache", "miss");
        awaitStored(stored);
        postWith("/v1/chat/completions", body, "max-age=600").expectHeader().valueEquals("X-Sluice-Cache", "hit");

        assertThat(upstream.requests()).isEqualTo(1);
    }

    @Test
    void entriesArePerUserUnlessTheAliasIsShared() {
        Account ada = register();
        Account bob = register();
        String prompt = uniquePrompt();
        String own = openAiStream(prompt);
        String everyone = openAiStream(prompt).replace("\"model\":\"fake\"", "\"model\":\"everyone\"");
        double stored = count("sluice.cache.writes", "outcome", "stored");

        postAs(ada, own).expectHeader().valueEquals("X-Sluice-Cache", "miss");
        awaitStored(stored);
        postAs(bob, own).expectHeader().valueEquals("X-Sluice-Cache", "miss");
        postAs(ada, own).expectHeader().valueEquals("X-Sluice-Cache", "hit");
        assertThat(upstream.requests()).as("Bob never gets Ada's answer").isEqualTo(2);

        stored = count("sluice.cache.writes", "outcome", "stored");
        postAs(ada, everyone).expectHeader().valueEquals("X-Sluice-Cache", "miss");
        awaitStored(stored);
        postAs(bob, everyone).expectHeader().valueEquals("X-Sluice-Cache", "hit");
        assertThat(upstream.requests()).as("a shared alias answers everyone from one entry").isEqualTo(3);
    }

    @Test
    void failedTruncatedAndCancelledRepliesAreNeverStored() {
        String prompt = uniquePrompt();
        String body = openAiStream(prompt);
        upstream.enqueue(Script.tokens(6).dropAfter(2), Script.tokens(3).withoutDone(),
                Script.tokens(4).midStreamError(2, "overloaded"), Script.tokens(200).every(Duration.ofMillis(20)));

        for (int i = 0; i < 3; i++) {
            List<ServerSentEvent<String>> events = SseEvents.withData(post("/v1/chat/completions", body)
                    .expectStatus().isOk().expectBodyList(SseEvents.TYPE).returnResult().getResponseBody());
            assertThat(events).last().extracting(ServerSentEvent::data).asString().contains("\"error\"");
        }
        Disposable hangsUp = client().post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body).retrieve().bodyToFlux(String.class).take(3).subscribe();
        await().atMost(Duration.ofSeconds(5)).until(hangsUp::isDisposed);
        await().atMost(Duration.ofSeconds(2)).until(() -> upstream.cancelledStreams() == 1);

        post("/v1/chat/completions", body).expectStatus().isOk().expectHeader().valueEquals("X-Sluice-Cache", "miss");
        assertThat(upstream.requests()).as("nothing stored: the fifth request went upstream too").isEqualTo(5);
    }

    @Test
    void noCacheSkipsTheLookupAndNoStoreTheWrite() {
        String body = openAiStream(uniquePrompt());
        double stored = count("sluice.cache.writes", "outcome", "stored");

        postWith("/v1/chat/completions", body, "no-store").expectHeader().valueEquals("X-Sluice-Cache", "miss");
        postWith("/v1/chat/completions", body, "no-store").expectHeader().valueEquals("X-Sluice-Cache", "miss");
        assertThat(count("sluice.cache.writes", "outcome", "stored")).as("no-store: nothing written").isEqualTo(stored);

        post("/v1/chat/completions", body).expectHeader().valueEquals("X-Sluice-Cache", "miss");
        awaitStored(stored);
        postWith("/v1/chat/completions", body, "no-cache").expectHeader().valueEquals("X-Sluice-Cache", "bypass");
        post("/v1/chat/completions", body).expectHeader().valueEquals("X-Sluice-Cache", "hit");

        assertThat(upstream.requests()).as("two no-store misses, one stored miss, one no-cache").isEqualTo(4);
    }

    @Test
    void aMalformedCacheControlIsA400() {
        postWith("/v1/chat/completions", openAiStream(uniquePrompt()), "max-age=soon")
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.param").isEqualTo("Cache-Control");
        assertThat(upstream.requests()).isZero();
    }

    @Test
    void aClientThatHangsUpLeavesTheOthersSharingItsCallUntouched() {
        upstream.enqueue(Script.tokens(30).firstTokenAfter(Duration.ofMillis(300)).every(Duration.ofMillis(20)));
        String body = openAiStream(uniquePrompt());

        Disposable first = client().post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body).retrieve().bodyToFlux(String.class).take(3).subscribe();
        await().atMost(Duration.ofSeconds(5)).until(() -> upstream.requests() == 1);
        Mono<List<String>> second = client().post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body).retrieve().bodyToFlux(String.class).collectList();
        Mono<List<String>> third = client().post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body).retrieve().bodyToFlux(String.class).collectList();
        List<List<String>> others = Flux.merge(second, third).collectList().block(TIMEOUT);

        assertThat(first.isDisposed()).as("the first client hung up after 3 chunks").isTrue();
        assertThat(others).hasSize(2).allSatisfy(data -> assertThat(data).hasSize(33).last().isEqualTo("[DONE]"));
        assertThat(upstream.requests()).isEqualTo(1);
        assertThat(upstream.cancelledStreams()).as("the call went on for the others").isZero();
        await().atMost(Duration.ofSeconds(2)).until(() -> upstream.completedStreams() == 1);
    }

    @Test
    void whenEveryClientSharingACallHangsUpTheCallIsCancelled() {
        upstream.enqueue(Script.tokens(200).every(Duration.ofMillis(20)));
        String body = openAiStream(uniquePrompt());

        List<Disposable> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clients.add(client().post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(body).retrieve().bodyToFlux(String.class).take(5).subscribe());
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> clients.stream().allMatch(Disposable::isDisposed));

        await().atMost(Duration.ofSeconds(1)).until(() -> upstream.cancelledStreams() == 1);
        assertThat(upstream.requests()).isEqualTo(1);
    }

    @Test
    void anAdminClearsTheCacheAndNoOneElseMay() {
        Account user = register();
        Account admin = registerOrLogin(ADMIN_EMAIL);
        String body = openAiStream(uniquePrompt());
        double stored = count("sluice.cache.writes", "outcome", "stored");
        post("/v1/chat/completions", body).expectHeader().valueEquals("X-Sluice-Cache", "miss");
        awaitStored(stored);

        web.post().uri("/api/v1/admin/cache/clear").header(HttpHeaders.AUTHORIZATION, user.bearer()).exchange()
                .expectStatus().isForbidden();
        post("/v1/chat/completions", body).expectHeader().valueEquals("X-Sluice-Cache", "hit");

        web.post().uri("/api/v1/admin/cache/clear").header(HttpHeaders.AUTHORIZATION, admin.bearer()).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.cleared").value(cleared -> assertThat(((Number) cleared).longValue()).isPositive());
        post("/v1/chat/completions", body).expectHeader().valueEquals("X-Sluice-Cache", "miss");
        assertThat(upstream.requests()).isEqualTo(2);
    }

    private static String uniquePrompt() {
        return "cache test " + UUID.randomUUID();
    }

    private static String openAiStream(String prompt) {
        return """
                {"model":"fake","stream":true,"stream_options":{"include_usage":true},"temperature":0,
                 "messages":[{"role":"user","content":"%s"}]}""".formatted(prompt);
    }

    private WebTestClient.ResponseSpec post(String path, String body) {
        return web.post().uri(path).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    private WebTestClient.ResponseSpec postWith(String path, String body, String cacheControl) {
        return web.post().uri(path).contentType(MediaType.APPLICATION_JSON).header(HttpHeaders.CACHE_CONTROL, cacheControl)
                .bodyValue(body).exchange();
    }

    private WebTestClient.ResponseSpec postAs(Account account, String body) {
        WebTestClient.ResponseSpec response = web.post().uri("/v1/chat/completions").header(HttpHeaders.AUTHORIZATION, account.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
        return response.expectStatus().isOk();
    }

    private static List<String> contents(List<ServerSentEvent<String>> events) {
        return events.stream().filter(event -> !"[DONE]".equals(event.data()))
                .map(event -> SseEvents.json(event).at("/choices/0/delta/content"))
                .filter(JsonNode::isString).map(JsonNode::asString).toList();
    }

    private double saved() {
        return count("sluice.cache.calls.saved", "by", "single_flight") + count("sluice.cache.calls.saved", "by", "hit");
    }

    private double count(String name, String tag, String value) {
        return registry.get(name).tag(tag, value).counter().count();
    }

    /** Writes leave the request path: the next request can only hit once this one is stored. */
    private void awaitStored(double before) {
        await().atMost(Duration.ofSeconds(5)).until(() -> count("sluice.cache.writes", "outcome", "stored") > before);
    }

    private record Account(String token) {

        String bearer() {
            return "Bearer " + token;
        }
    }

    private Account register() {
        return registerOrLogin("cache-" + UUID.randomUUID() + "@example.com");
    }

    /** The account, made if an earlier run did not make it already, logged in. */
    private Account registerOrLogin(String email) {
        Map<String, String> credentials = Map.of("email", email, "password", "cache test password");
        WebClient api = WebClient.create("http://127.0.0.1:" + port);
        api.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON).bodyValue(credentials)
                .exchangeToMono(response -> response.releaseBody()).block(TIMEOUT);
        String login = api.post().uri("/api/v1/auth/login").contentType(MediaType.APPLICATION_JSON).bodyValue(credentials)
                .retrieve().bodyToMono(String.class).block(TIMEOUT);
        return new Account(JSON.readTree(login).path("access_token").asString());
    }
}
