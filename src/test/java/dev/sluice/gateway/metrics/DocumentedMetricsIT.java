package dev.sluice.gateway.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.sluice.gateway.testing.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

import static org.assertj.core.api.Assertions.assertThat;

/** Every metric {@code docs/metrics.md} promises is on {@code /actuator/prometheus} after one chat. */
class DocumentedMetricsIT extends IntegrationTest {

    /** The first column of the doc's tables: a metric name in backticks. */
    private static final Pattern DOCUMENTED = Pattern.compile("^\\| `([a-z0-9_]+)`", Pattern.MULTILINE);

    @Test
    void afterOneChatEveryDocumentedMetricIsScraped() throws IOException {
        web.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange().expectStatus().isOk().expectBody(String.class).value(body -> assertThat(body).contains("[DONE]"));

        String scrape = web.get().uri("/actuator/prometheus").exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();

        List<String> documented = documented();
        assertThat(documented).as("docs/metrics.md lists the metrics").hasSizeGreaterThan(15);
        List<String> missing = new ArrayList<>();
        for (String name : documented) {
            if (!Pattern.compile("(?m)^" + name + "(_bucket|_count|_sum|_max|_total)?[{ ]").matcher(scrape).find()) {
                missing.add(name);
            }
        }
        assertThat(missing).as("documented but not scraped").isEmpty();
        assertThat(scrape).as("requests tagged with the model they asked for")
                .containsPattern("http_server_requests_seconds_count\\{[^}]*model=\"fake\"[^}]*uri=\"/v1/chat/completions\"");
    }

    private static List<String> documented() throws IOException {
        Matcher matcher = DOCUMENTED.matcher(Files.readString(Path.of("docs/metrics.md")));
        List<String> names = new ArrayList<>();
        while (matcher.find()) {
            names.add(matcher.group(1));
        }
        return names;
    }
}
