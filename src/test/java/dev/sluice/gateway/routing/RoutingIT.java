package dev.sluice.gateway.routing;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.sluice.bench.FakeUpstream;
import dev.sluice.bench.Script;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A user never sees a provider's bad minute: keys, retries, circuits, bulkheads and fallbacks against fakes on real sockets. */
class RoutingIT extends IntegrationTest {

    static final FakeUpstream keyed = FakeUpstream.start();
    static final FakeUpstream flaky = FakeUpstream.start();
    static final FakeUpstream backup = FakeUpstream.start();
    static final FakeUpstream silent = FakeUpstream.start();
    static final FakeUpstream narrow = FakeUpstream.start();
    static final FakeUpstream midway = FakeUpstream.start();
    static final FakeUpstream solo = FakeUpstream.start();
    static final Map<String, FakeUpstream> fakes = Map.of("keyed", keyed, "flaky", flaky, "backup", backup,
            "silent", silent, "narrow", narrow, "midway", midway, "solo", solo);
    /** A port nothing listens on, as an upstream that is down looks. */
    static final int CLOSED_PORT = closedPort();
    static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(3);

    static final Duration QUEUE_WAIT = Duration.ofSeconds(1);

    @Autowired
    CircuitBreakerRegistry circuitBreakers;

    @Autowired
    MeterRegistry meters;

    @Autowired
    ReactiveStringRedisTemplate redis;

    @DynamicPropertySource
    static void routes(DynamicPropertyRegistry registry) {
        fakes.forEach((name, fake) -> {
            registry.add("sluice.providers." + name + ".type", () -> "openai");
            registry.add("sluice.providers." + name + ".base-url", fake::baseUrl);
            registry.add("sluice.providers." + name + ".api-keys", () -> name + "-key");
            registry.add("sluice.providers." + name + ".models", () -> "*");
        });
        registry.add("sluice.providers.keyed.api-keys", () -> "key-a,key-b");
        registry.add("sluice.providers.silent.timeouts.first-token", () -> "500ms");
        registry.add("sluice.providers.silent.timeouts.idle", () -> "500ms");
        registry.add("sluice.providers.narrow.max-concurrency", () -> "1");
        registry.add("sluice.providers.narrow.max-queue", () -> "1");
        registry.add("sluice.providers.narrow.max-queue-wait", () -> QUEUE_WAIT.toMillis() + "ms");
        registry.add("sluice.aliases.keyed.targets", () -> "keyed/m");
        registry.add("sluice.aliases.resilient.targets", () -> "flaky/m,backup/m");
        registry.add("sluice.aliases.patient.targets", () -> "silent/m,backup/m");
        registry.add("sluice.aliases.narrow.targets", () -> "narrow/m");
        registry.add("sluice.aliases.committed.targets", () -> "midway/m,backup/m");
        registry.add("sluice.aliases.simulated-first.targets", () -> "demo/sluice-demo,backup/m");
        registry.add("sluice.providers.gone.type", () -> "openai");
        registry.add("sluice.providers.gone.base-url", () -> "http://127.0.0.1:" + CLOSED_PORT + "/v1");
        registry.add("sluice.providers.gone.api-keys", () -> "gone-key");
        registry.add("sluice.aliases.gone.targets", () -> "gone/m");
        registry.add("sluice.routing.max-retry-after", () -> MAX_RETRY_AFTER.toMillis() + "ms");
        // A backoff long enough to hang up in the middle of.
        registry.add("sluice.routing.backoff", () -> "1s");
        registry.add("sluice.routing.max-backoff", () -> "1s");
        registry.add("resilience4j.circuitbreaker.instances.flaky.sliding-window-size", () -> "4");
        registry.add("resilience4j.circuitbreaker.instances.flaky.minimum-number-of-calls", () -> "4");
        registry.add("resilience4j.circuitbreaker.instances.flaky.wait-duration-in-open-state", () -> "60s");
        registry.add("resilience4j.circuitbreaker.instances.flaky.automatic-transition-from-open-to-half-open-enabled", () -> "false");
    }

    @BeforeEach
    void resetFakes() {
        fakes.values().forEach(fake -> {
            fake.reset();
            fake.defaultScript(Script.tokens(3));
        });
    }

    @AfterAll
    static void stopFakes() {
        fakes.values().forEach(FakeUpstream::close);
    }

    @Test
    void a429OnOneKeyIsServedByTheNextAndTheFirstRestsUntilItsRetryAfterHasPassed() {
        keyed.enqueue(Script.status(429).retryAfter(Duration.ofSeconds(2)));
        long limitedAt = System.nanoTime(); // before the 429, so that a slow machine cannot make the rest look short

        chat("keyed").expectStatus().isOk()
                .expectHeader().valueEquals("X-Sluice-Attempts", "2")
                .expectBody().jsonPath("$.choices[0].message.content").isEqualTo("tok0 tok1 tok2 ");
        chat("keyed").expectStatus().isOk();

        assertThat(keyed.apiKeys()).as("key A answered 429, key B served both requests")
                .containsExactly("key-a", "key-b", "key-b");
        await().atMost(Duration.ofSeconds(6)).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    chat("keyed").expectStatus().isOk();
                    return last(keyed.apiKeys()).equals("key-a");
                });
        assertThat(Duration.ofNanos(System.nanoTime() - limitedAt)).as("key A rested for its Retry-After")
                .isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void aRequestOneTargetsProtocolCannotExpressGoesToTheNextAndOneNoneCanIsA400NamingTheParameter() {
        String logprobs = "{\"model\":\"%s\",\"logprobs\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

        web.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(logprobs.formatted("simulated-first")).exchange()
                .expectStatus().isOk()
                .expectHeader().valueEquals("X-Sluice-Provider", "backup/m")
                .expectHeader().valueEquals("X-Sluice-Attempts", "1");
        web.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(logprobs.formatted("demo")).exchange()
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.code").isEqualTo("unsupported_parameter")
                .jsonPath("$.error.param").isEqualTo("logprobs");

        assertThat(backup.requestBodies()).as("the simulator has no logprobs: the next target got the request as sent")
                .singleElement().satisfies(body -> assertThat(SseEvents.json(body).path("logprobs").booleanValue()).isTrue());
    }

    @Test
    void aProviderAnswering500sOpensItsCircuitAndTrafficFlowsToTheFallback() {
        flaky.defaultScript(Script.status(500));

        for (int i = 0; i < 3; i++) {
            chat("resilient").expectStatus().isOk()
                    .expectHeader().valueEquals("X-Sluice-Provider", "backup/m");
        }

        assertThat(circuitBreakers.circuitBreaker("flaky").getState()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(flaky.requests()).as("two requests with one retry each open the circuit; the third skips flaky")
                .isEqualTo(4);
        assertThat(backup.requests()).isEqualTo(3);
    }

    @Test
    void aSilentFirstTokenFallsBackAfterTheFirstTokenTimeout() {
        silent.defaultScript(Script.tokens(3).firstTokenAfter(Duration.ofSeconds(30)));

        chat("patient").expectStatus().isOk()
                .expectHeader().valueEquals("X-Sluice-Provider", "backup/m")
                .expectHeader().valueEquals("X-Sluice-Attempts", "3");

        assertThat(silent.requests()).as("the first try and its retry").isEqualTo(2);
        await().atMost(Duration.ofSeconds(1)).until(() -> silent.cancelledStreams() == 2);
    }

    @Test
    void aRequestWaitsInTheQueueForAFreeSlotAndIsServedWhenOneFrees() {
        narrow.defaultScript(Script.tokens(14).every(Duration.ofMillis(50))); // 0.7 s, shorter than the queue wait

        Disposable first = stream("narrow").subscribe();
        await().atMost(Duration.ofSeconds(2)).until(() -> narrow.requests() == 1);
        Mono<ResponseEntity<String>> second = exchange("narrow").cache();
        second.subscribe();

        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(10)).until(() -> queued("narrow") == 1);
        assertThat(narrow.requests()).as("the second waits for the first").isEqualTo(1);
        assertThat(second.block(Duration.ofSeconds(5)).getStatusCode().value()).isEqualTo(200);
        assertThat(narrow.requests()).isEqualTo(2);
        first.dispose();
    }

    @Test
    void aFullBulkheadAnswers503WithRetryAfterWhenTheQueueIsFullOrTheWaitTimesOut() {
        narrow.defaultScript(Script.tokens(60).every(Duration.ofMillis(50)));

        Disposable first = stream("narrow").subscribe();
        await().atMost(Duration.ofSeconds(2)).until(() -> narrow.requests() == 1);
        Mono<ResponseEntity<String>> queued = exchange("narrow").cache();
        queued.subscribe();
        await().atMost(Duration.ofSeconds(2)).until(() -> queued("narrow") == 1);

        try {
            chat("narrow").expectStatus().isEqualTo(503)
                    .expectHeader().exists("Retry-After")
                    .expectBody().jsonPath("$.error.code").isEqualTo("overloaded");
            ResponseEntity<String> timedOut = queued.block(Duration.ofSeconds(5));
            assertThat(timedOut.getStatusCode().value()).as("the queued request gave up after its wait").isEqualTo(503);
            assertThat(timedOut.getHeaders().getFirst("Retry-After")).isNotBlank();
            assertThat(narrow.requests()).as("no call beyond the one in flight").isEqualTo(1);
        }
        finally {
            first.dispose();
        }
    }

    @Test
    void afterTheFirstTokenTheProviderIsNeverSwitchedAndTheStreamEndsWithAnError() {
        midway.enqueue(Script.tokens(5).dropAfter(2));

        List<ServerSentEvent<String>> events = SseEvents.withData(web.post().uri("/api/v1/chat")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"committed\",\"prompt\":\"Hi\"}")
                .exchange()
                .expectStatus().isOk()
                .expectHeader().valueEquals("X-Sluice-Provider", "midway/m")
                .expectBodyList(SseEvents.TYPE).returnResult().getResponseBody());

        assertThat(events).extracting(ServerSentEvent::event).containsExactly("token", "token", "error");
        assertThat(backup.requests()).as("no silent switch to the fallback").isZero();
    }

    @Test
    void aClientThatHangsUpDuringABackoffCancelsThePendingAttempt() {
        flaky.enqueue(Script.status(500));

        Disposable client = stream("resilient").subscribe(chunk -> { }, error -> { });
        await().atMost(Duration.ofSeconds(2)).until(() -> flaky.requests() == 1);
        client.dispose();

        await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3))
                .until(() -> flaky.requests() == 1 && backup.requests() == 0);
    }

    @Test
    void aDirectProviderSlashModelRequestGoesToThatProvider() {
        web.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"backup/some-model\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange()
                .expectStatus().isOk()
                .expectHeader().valueEquals("X-Sluice-Provider", "backup/some-model");
        assertThat(SseEvents.json(backup.requestBodies().get(0)).path("model").asString()).isEqualTo("some-model");
    }

    @Test
    void a403OnOneKeyIsTheCallersAndIsNotRetriedOnTheOtherKey() {
        keyed.enqueue(Script.status(403).errorBody("{\"error\":{\"message\":\"Input flagged\",\"code\":403}}"));

        chat("keyed").expectStatus().isForbidden();

        assertThat(keyed.apiKeys()).as("one call, on one key").containsExactly("key-a");
        chat("keyed").expectStatus().isOk();
        assertThat(last(keyed.apiKeys())).as("the key that met the 403 is still in rotation").isEqualTo("key-a");
    }

    @Test
    void a429OnOneModelLeavesTheKeyServingTheProvidersOtherModels() {
        String busy = "solo/busy-" + System.nanoTime();
        solo.enqueue(Script.status(429).retryAfter(Duration.ofSeconds(30)));

        chat(busy).expectStatus().isEqualTo(502);
        chat(busy).expectStatus().isEqualTo(503);
        assertThat(solo.requests()).as("the only key rests for the model that was rate limited").isEqualTo(1);

        chat("solo/other-" + System.nanoTime()).expectStatus().isOk();
    }

    @Test
    void a429SayingTheAccountIsOutOfQuotaRestsTheKeyForEveryModel() {
        solo.enqueue(Script.status(429).retryAfter(MAX_RETRY_AFTER).errorBody("{\"error\":{\"message\":\"You exceeded "
                + "your current quota\",\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}}"));

        chat("solo/one-" + System.nanoTime()).expectStatus().isEqualTo(502);
        chat("solo/another-" + System.nanoTime()).expectStatus().isEqualTo(503);

        assertThat(solo.requests()).as("no call for any model while the key rests").isEqualTo(1);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> chat("solo/m").expectStatus().isOk());
    }

    @Test
    void anHourLongRetryAfterRestsTheKeyNoLongerThanMaxRetryAfterOnEveryReplica() {
        keyed.enqueue(Script.status(429).retryAfter(Duration.ofHours(1)));

        chat("keyed").expectStatus().isOk();

        List<Long> ttls = redis.keys("sluice:key-cooldown:keyed:*").flatMap(redis::getExpire)
                .map(Duration::toMillis).collectList().block(Duration.ofSeconds(5));
        assertThat(ttls).as("the shared cooldown is capped too").isNotEmpty()
                .allSatisfy(ttl -> assertThat(ttl).isLessThanOrEqualTo(MAX_RETRY_AFTER.toMillis()));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    chat("keyed").expectStatus().isOk();
                    return last(keyed.apiKeys()).equals("key-a");
                });
    }

    @Test
    void aProviderThatIsDownIsNotNamedByItsAddressToTheCaller() {
        String body = new String(chat("gone").expectStatus().isEqualTo(502).expectBody().returnResult()
                .getResponseBodyContent(), java.nio.charset.StandardCharsets.UTF_8);

        assertThat(body).as("the caller learns the route failed, not where the gateway's upstreams live")
                .contains("gone").doesNotContain("127.0.0.1", Integer.toString(CLOSED_PORT), "refused");
    }

    @Test
    void aProviders402BillingTextNeverReachesTheCaller() {
        solo.defaultScript(Script.status(402, "Your credit balance is too low; top up at https://billing.internal/acct-77"));

        String body = new String(chat("solo/m").expectStatus().isEqualTo(502).expectBody().returnResult()
                .getResponseBodyContent(), java.nio.charset.StandardCharsets.UTF_8);

        assertThat(body).as("the gateway's account is none of the caller's business")
                .doesNotContain("credit", "billing", "acct-77");
    }

    private static int closedPort() {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
        catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private WebTestClient.ResponseSpec chat(String model) {
        return web.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange();
    }

    private reactor.core.publisher.Flux<String> stream(String model) {
        return client().post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"" + model + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .retrieve().bodyToFlux(String.class);
    }

    private Mono<ResponseEntity<String>> exchange(String model) {
        return client().post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchangeToMono(response -> response.toEntity(String.class));
    }

    private double queued(String provider) {
        return meters.get("sluice.bulkhead.queued").tag("provider", provider).gauge().value();
    }

    private static String last(List<String> values) {
        return values.get(values.size() - 1);
    }
}
