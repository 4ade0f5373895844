package dev.sluice.gateway.console;

import dev.sluice.gateway.testing.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/** CORS for the configured origins only, on both APIs; and the console switched off. */
@TestPropertySource(properties = {"sluice.web.cors.allowed-origins=https://chat.example.com",
        "sluice.web.console.enabled=false"})
class CorsIT extends IntegrationTest {

    private static final String ORIGIN = "https://chat.example.com";

    @Test
    void aPreflightFromAConfiguredOriginIsAnsweredForBothApisWithoutCredentials() {
        for (String path : new String[] {"/v1/chat/completions", "/api/v1/chat", "/api/v1/conversations"}) {
            HttpHeaders headers = web.method(HttpMethod.OPTIONS).uri(path)
                    .header(HttpHeaders.ORIGIN, ORIGIN)
                    .header(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD, "POST")
                    .header(HttpHeaders.ACCESS_CONTROL_REQUEST_HEADERS, "authorization,content-type,x-api-key")
                    .exchange()
                    .expectStatus().isOk()
                    .returnResult(Void.class).getResponseHeaders();

            assertThat(headers.getAccessControlAllowOrigin()).as("%s: the configured origin", path).isEqualTo(ORIGIN);
            assertThat(headers.getAccessControlAllowMethods()).as(path).contains(HttpMethod.POST, HttpMethod.DELETE);
            assertThat(headers.getAccessControlAllowHeaders()).as("%s: the headers the APIs read", path)
                    .containsExactlyInAnyOrder("authorization", "content-type", "x-api-key");
            assertThat(headers.getAccessControlAllowCredentials()).as("credentials travel in headers, not cookies").isFalse();
        }
    }

    @Test
    void aCrossOriginCallSeesWhoServedItAndItsBudget() {
        HttpHeaders headers = web.post().uri("/v1/chat/completions")
                .header(HttpHeaders.ORIGIN, ORIGIN)
                .header(HttpHeaders.CONTENT_TYPE, "application/json")
                .bodyValue("{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange()
                .expectStatus().isOk()
                .returnResult(String.class).getResponseHeaders();

        assertThat(headers.getAccessControlAllowOrigin()).isEqualTo(ORIGIN);
        assertThat(headers.getAccessControlExposeHeaders()).as("readable by the page's script")
                .contains("X-Request-ID", "X-Sluice-Provider", "X-Sluice-Cache", "X-RateLimit-Remaining", "Retry-After");
    }

    @Test
    void anOriginNotConfiguredIsRefused() {
        web.method(HttpMethod.OPTIONS).uri("/api/v1/chat")
                .header(HttpHeaders.ORIGIN, "https://evil.example")
                .header(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD, "POST")
                .exchange()
                .expectStatus().isForbidden()
                .expectHeader().doesNotExist(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN);
    }

    @Test
    void theConsoleSwitchedOffLeavesTheRootToTheApis() {
        web.get().uri("/").exchange().expectStatus().isNotFound();
        web.get().uri("/console/app.js").exchange().expectStatus().isNotFound();
    }
}
