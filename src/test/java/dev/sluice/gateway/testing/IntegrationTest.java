package dev.sluice.gateway.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import dev.sluice.bench.FakeUpstream;
import dev.sluice.bench.Script;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import tools.jackson.databind.JsonNode;

/**
 * The whole gateway on a random port, against real PostgreSQL and Redis and a scripted fake upstream on
 * a real socket. The fake is the provider {@code fake} behind the alias {@code fake}, with short timeouts
 * so that timeout paths run quickly, and one retry per target ({@code sluice.routing.retries}), so a
 * failure a test wants the client to see must be scripted twice. One fake and one application context
 * serve every integration test.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
// Every test's requests come from 127.0.0.1, which the default per-IP limit would soon refuse. Here rather than
// in services(), so that a test's own @TestPropertySource outranks them: rate-limit tests set their own limits.
@TestPropertySource(properties = {"sluice.limits.per-ip.requests-per-minute=1000000",
        "sluice.limits.per-user.requests-per-minute=1000000"})
public abstract class IntegrationTest {

    protected static final String FAKE_KEY = "test-key-1";
    protected static final Duration FIRST_TOKEN_TIMEOUT = Duration.ofMillis(1500);
    protected static final Duration HEARTBEAT = Duration.ofMillis(300);

    protected static final FakeUpstream upstream = FakeUpstream.start();

    @LocalServerPort
    protected int port;

    @Autowired
    protected WebTestClient web;

    @DynamicPropertySource
    static void services(DynamicPropertyRegistry registry) {
        ExternalServices services = ExternalServices.get();
        services.springProperties().forEach((name, value) -> registry.add(name, () -> value));
        // Tests without an account chat as the anonymous user in a database shared by every run of the day:
        // its default daily quota would run out. Quota tests set their own limits.
        registry.add("sluice.quotas.daily-requests", () -> "100000000");
        registry.add("sluice.quotas.daily-tokens", () -> "100000000000");
        registry.add("sluice.providers.fake.type", () -> "openai");
        registry.add("sluice.providers.fake.base-url", upstream::baseUrl);
        registry.add("sluice.providers.fake.api-keys", () -> FAKE_KEY);
        registry.add("sluice.providers.fake.models", () -> "*");
        registry.add("sluice.providers.fake.timeouts.first-token", () -> FIRST_TOKEN_TIMEOUT.toMillis() + "ms");
        registry.add("sluice.providers.fake.timeouts.idle", () -> "1500ms");
        registry.add("sluice.aliases.fake.targets", () -> "fake/fake-model");
        registry.add("sluice.agents.french.alias", () -> "fake");
        registry.add("sluice.agents.french.system-prompt", () -> "Answer in French.");
        registry.add("sluice.chat.heartbeat", () -> HEARTBEAT.toMillis() + "ms");
    }

    @Autowired
    private CircuitBreakerRegistry circuitBreakers;

    /** Each test starts from a quiet upstream and closed circuits, whatever the test before it did. */
    @BeforeEach
    void resetUpstream() {
        upstream.reset();
        upstream.defaultScript(Script.tokens(8));
        circuitBreakers.getAllCircuitBreakers().forEach(CircuitBreaker::reset);
    }

    /** A client on a real socket, for tests that hang up in the middle of a reply. */
    protected WebClient client() {
        return WebClient.create("http://127.0.0.1:" + port);
    }

    /** What {@code GET /api/v1/quota} says to the caller of {@code authorization} (quotas and budgets). */
    protected JsonNode quota(String authorization) {
        byte[] body = web.get().uri("/api/v1/quota").header(HttpHeaders.AUTHORIZATION, authorization).exchange()
                .expectStatus().isOk().expectBody().returnResult().getResponseBodyContent();
        return SseEvents.json(new String(body, StandardCharsets.UTF_8));
    }

    /** The data of each event of a streamed {@code POST /v1/chat/completions} of {@code body}, {@code [DONE]} included. */
    protected Flux<String> streamedChat(String authorization, String body) {
        return client().post().uri("/v1/chat/completions").header(HttpHeaders.AUTHORIZATION, authorization)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                .retrieve().bodyToFlux(SseEvents.TYPE)
                .filter(event -> event.data() != null)
                .map(event -> event.data());
    }
}
