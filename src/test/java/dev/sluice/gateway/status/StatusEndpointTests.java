package dev.sluice.gateway.status;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** On the embedded default, {@code /api/v1/status} shows the demo simulator up, probed at startup. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "sluice.providers.demo.token-interval=1ms")
@AutoConfigureWebTestClient
class StatusEndpointTests {

    private static final ParameterizedTypeReference<Map<String, List<Map<String, Object>>>> REPORT =
            new ParameterizedTypeReference<>() { };

    @Autowired
    WebTestClient web;

    @Test
    void theDemoProviderIsListedUpWithItsCircuitClosed() {
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(demo().get("last_checked"))
                .as("the first probe runs at startup").isNotNull());

        Map<String, Object> demo = demo();
        assertThat(demo).as("exactly the documented fields, snake_case")
                .containsOnlyKeys("name", "status", "circuit", "uptime_pct", "latency_p50_ms", "last_checked");
        assertThat(demo.get("status")).isEqualTo("up");
        assertThat(demo.get("circuit")).isEqualTo("closed");
        assertThat(((Number) demo.get("uptime_pct")).doubleValue()).isEqualTo(100.0);
        assertThat(Instant.parse((String) demo.get("last_checked"))).as("ISO-8601 in UTC")
                .isBefore(Instant.now().plusSeconds(1));
    }

    @Test
    void otherMethodsAreNotAllowed() {
        web.post().uri("/api/v1/status").exchange().expectStatus().isEqualTo(405);
    }

    private Map<String, Object> demo() {
        Map<String, List<Map<String, Object>>> report = web.get().uri("/api/v1/status").exchange()
                .expectStatus().isOk()
                .expectBody(REPORT).returnResult().getResponseBody();
        assertThat(report).containsOnlyKeys("providers");
        assertThat(report.get("providers")).as("the embedded default has only the demo").hasSize(1);
        return report.get("providers").get(0);
    }
}
