package dev.sluice.gateway.console;

import dev.sluice.gateway.testing.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;

import static org.assertj.core.api.Assertions.assertThat;

/** The console's files: public, under a strict Content-Security-Policy, and CORS off without configured origins. */
class ConsoleIT extends IntegrationTest {

    private static final String CSP = "Content-Security-Policy";

    @Test
    void theRootServesTheConsolePageWithoutCredentialsUnderAStrictPolicy() {
        String page = web.get().uri("/").exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_HTML)
                .expectHeader().valueEquals(CSP, PublicPageSecurity.CONSOLE_POLICY)
                .expectHeader().valueEquals("X-Frame-Options", "DENY")
                .expectBody(String.class).returnResult().getResponseBody();

        assertThat(page).as("the page loads its code as a module from the gateway itself")
                .contains("<script type=\"module\" src=\"/console/app.js\"></script>");
        assertThat(page).as("no inline script, which the policy would block").doesNotContainPattern("<script(?![^>]*src=)");
        assertThat(PublicPageSecurity.CONSOLE_POLICY).as("no inline code, no other origin, never framed")
                .contains("default-src 'self'", "frame-ancestors 'none'").doesNotContain("unsafe-inline", "http");
    }

    @Test
    void theConsoleModulesAndStylesheetAreServedWithoutCredentials() {
        for (String asset : new String[] {"/console/app.js", "/console/api.js", "/console/markdown.js"}) {
            web.get().uri(asset).exchange()
                    .expectStatus().isOk()
                    .expectHeader().contentTypeCompatibleWith("text/javascript")
                    .expectHeader().valueEquals(CSP, PublicPageSecurity.CONSOLE_POLICY);
        }
        web.get().uri("/console/console.css").exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith("text/css");
    }

    @Test
    void theApiResponsesCarryNoConsolePolicy() {
        web.get().uri("/api/v1/models").exchange()
                .expectStatus().isOk()
                .expectHeader().doesNotExist(CSP);
    }

    @Test
    void aPreflightFromAnotherOriginIsNotAllowedWhenNoOriginIsConfigured() {
        web.method(HttpMethod.OPTIONS).uri("/v1/chat/completions")
                .header(HttpHeaders.ORIGIN, "https://elsewhere.example")
                .header(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD, "POST")
                .header(HttpHeaders.ACCESS_CONTROL_REQUEST_HEADERS, "authorization,content-type")
                .exchange()
                .expectHeader().doesNotExist(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN);
        web.get().uri("/api/v1/models").header(HttpHeaders.ORIGIN, "https://elsewhere.example").exchange()
                .expectHeader().doesNotExist(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN);
    }
}
