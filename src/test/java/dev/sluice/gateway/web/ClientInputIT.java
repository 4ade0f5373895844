package dev.sluice.gateway.web;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.sluice.gateway.testing.IntegrationTest;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.http.MediaType;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Issue 12, point 13: what a client sends, however broken, gets a 4xx naming the problem, and never counts as a 500. */
@ExtendWith(OutputCaptureExtension.class)
class ClientInputIT extends IntegrationTest {

    private static final List<String> BROKEN_CONTENT_TYPES = List.of("application/json; charset=nonsense",
            "application/json, text/plain", "application/json; charset=\"");
    private static final String CHAT = "{\"model\":\"fake\",\"prompt\":\"Hi\",\"stream\":false}";

    /** Every endpoint, with a body it would otherwise take. */
    private static final List<List<String>> ENDPOINTS = List.of(
            List.of("POST", "/v1/chat/completions", "{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"),
            List.of("POST", "/v1/messages", "{\"model\":\"fake\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"),
            List.of("POST", "/v1/embeddings", "{\"model\":\"fake\",\"input\":\"Hi\"}"),
            List.of("GET", "/v1/models", ""),
            List.of("POST", "/api/v1/chat", CHAT),
            List.of("GET", "/api/v1/models", ""),
            List.of("POST", "/api/v1/auth/register", "{\"email\":\"x@example.com\",\"password\":\"long enough password\"}"),
            List.of("POST", "/api/v1/auth/login", "{\"email\":\"x@example.com\",\"password\":\"long enough password\"}"),
            List.of("POST", "/api/v1/keys", "{\"name\":\"k\"}"),
            List.of("GET", "/api/v1/keys", ""),
            List.of("POST", "/api/v1/feedback", "{\"message_id\":\"00000000-0000-4000-8000-000000000000\",\"rating\":1}"),
            List.of("GET", "/api/v1/conversations", ""),
            List.of("GET", "/api/v1/quota", ""),
            List.of("GET", "/api/v1/status", ""),
            List.of("GET", "/api/v1/agents", ""),
            List.of("POST", "/api/v1/admin/cache/clear", ""),
            List.of("GET", "/actuator/health/liveness", ""),
            List.of("GET", "/", ""));

    @Autowired
    MeterRegistry meters;

    @Test
    void aContentTypeNoParserTakesIsA415NamingItOnEveryEndpoint(CapturedOutput output) {
        String token = accessToken();

        for (List<String> endpoint : ENDPOINTS) {
            for (String contentType : BROKEN_CONTENT_TYPES) {
                RawHttp.Response response = RawHttp.json(port, endpoint.get(0), endpoint.get(1), contentType, token,
                        endpoint.get(2));

                assertThat(response.status()).as("%s %s with Content-Type: %s", endpoint.get(0), endpoint.get(1), contentType)
                        .isEqualTo(415);
                assertThat(response.body()).as("names the header at fault").contains("Content-Type");
            }
        }
        assertThat(output.getAll()).as("nothing logged as a bug").doesNotContain("InvalidMediaTypeException")
                .doesNotContain("Unexpected failure");
    }

    @Test
    void aBrokenChunkedBodyEndsTheExchangeWithOneWarningAndIsNotCountedAsA500(CapturedOutput output) {
        long serverErrorsBefore = requestsRecorded(500);
        long badRequestsBefore = requestsRecorded(400);
        // Only what this exchange logs: the context's start may have logged an ERROR of its own (Testcontainers
        // finding no Docker engine, when this is the first test of its JVM).
        int logged = output.getAll().length();

        RawHttp.Response response = RawHttp.exchange(port, "POST /api/v1/chat HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked", "zz-not-a-size\r\n" + CHAT + "\r\n0\r\n\r\n");

        assertThat(response.status()).as("Netty's answer on the wire").isEqualTo(400);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(requestsRecorded(400))
                .as("recorded with the status that went out").isGreaterThan(badRequestsBefore));
        String log = output.getAll().substring(logged);
        assertThat(log.split("Decoding failed", -1)).as("one WARN line, Netty's").hasSize(2);
        assertThat(log).doesNotContain("Status and headers already sent").doesNotContain(" ERROR ");
        assertThat(requestsRecorded(500)).as("no 500 in http.server.requests for a client's broken body").isEqualTo(serverErrorsBefore);
        // The gateway goes on serving.
        web.post().uri("/api/v1/chat").contentType(MediaType.APPLICATION_JSON).bodyValue(CHAT).exchange().expectStatus().isOk();
    }

    private long requestsRecorded(int status) {
        return meters.find("http.server.requests").tag("status", Integer.toString(status))
                .timers().stream().mapToLong(Timer::count).sum();
    }

    private String accessToken() {
        String email = "client-input-" + Ids.hex() + "@example.com";
        web.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", "correct horse battery")).exchange().expectStatus().isCreated();
        return (String) web.post().uri("/api/v1/auth/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", "correct horse battery")).exchange().expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody().get("access_token");
    }
}
