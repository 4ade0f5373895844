package dev.sluice.gateway.chat;

import java.util.List;
import java.util.Map;

import dev.sluice.gateway.testing.SseEvents;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/** With no configuration at all, a newcomer can list models and chat with the demo simulator, anonymously. */
// The anonymous user's daily quota lives in the embedded database file under ./data, which outlives the run.
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"sluice.providers.demo.token-interval=1ms", "sluice.quotas.daily-requests=100000000"})
@AutoConfigureWebTestClient
class EmbeddedDefaultTests {

    @Autowired
    WebTestClient web;

    @Test
    void theModelListsOfferTheDemoAliasLabelledAsASimulator() {
        web.get().uri("/v1/models").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.object").isEqualTo("list")
                .jsonPath("$.data[?(@.id == 'demo')].description").value(descriptions ->
                        assertThat(descriptions.toString()).contains("simulator"));
        web.get().uri("/api/v1/models").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.items[0].id").isEqualTo("demo")
                .jsonPath("$.items[0].simulated").isEqualTo(true)
                .jsonPath("$.next_cursor").doesNotExist();
    }

    @Test
    void anAnonymousCallerCanStreamFromTheDemo() {
        List<ServerSentEvent<String>> events = SseEvents.withData(web.post().uri("/v1/chat/completions")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"demo\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange()
                .expectStatus().isOk()
                .expectHeader().valueEquals("X-Sluice-Provider", "demo/sluice-demo")
                // chats have a filter chain of their own, with the security headers of the rest
                .expectHeader().valueEquals("X-Content-Type-Options", "nosniff")
                .expectHeader().valueEquals("X-Frame-Options", "DENY")
                .expectBodyList(SseEvents.TYPE).returnResult().getResponseBody());

        assertThat(events.size()).as("many tokens, then finish and [DONE]").isGreaterThan(10);
        assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
    }

    @Test
    void anAnonymousCallersChatsAreChargedToTheAnonymousAccount() {
        long before = requestsUsedToday();

        web.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange().expectStatus().isOk();

        assertThat(requestsUsedToday()).as("the chat counted against the anonymous account's quota").isEqualTo(before + 1);
    }

    private long requestsUsedToday() {
        Number used = web.get().uri("/api/v1/quota").exchange().expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody() instanceof Map<?, ?> quota
                        && quota.get("requests") instanceof Map<?, ?> requests ? (Number) requests.get("used") : null;
        assertThat(used).as("GET /api/v1/quota names the requests used").isNotNull();
        return used.longValue();
    }

    @Test
    void agentsFromConfigurationAreListed() {
        web.get().uri("/api/v1/agents").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.items[0].name").isEqualTo("tutor")
                .jsonPath("$.items[0].alias").isEqualTo("demo")
                .jsonPath("$.items[0].system_prompt").isEqualTo("You are a patient math tutor.");
    }

    @Test
    void livenessAndReadinessAnswerOnTheirShortNamesToo() {
        for (String path : List.of("/health", "/ready", "/actuator/health/liveness", "/actuator/health/readiness")) {
            web.get().uri(path).exchange().expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("UP");
        }
    }
}
