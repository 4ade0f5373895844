package dev.sluice.gateway.security;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

import dev.sluice.bench.Script;
import dev.sluice.gateway.provider.ProviderRegistry;
import dev.sluice.gateway.routing.ModelNames;
import dev.sluice.gateway.testing.IntegrationTest;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 12's points 1–7, attacked end to end over HTTP against the whole gateway on real PostgreSQL and Redis:
 * each test failed before its fix. Points that need other settings than {@link IntegrationTest}'s (closed
 * registration, a tiny per-IP limit, a second replica) have classes of their own beside this one.
 */
class SecurityRegressionIT extends IntegrationTest {

    // --- 1. Admin by registration -----------------------------------------------------------------------------

    // --- 2. Known secrets accepted ------------------------------------------------------------------------------

    // --- 3. Forwarded headers trusted from anyone ------------------------------------------------------------

    // --- 4. Failed authentication is rate limited; bad keys do not reach the database -------------------------

    // --- 5. A 403 for content disables no key ------------------------------------------------------------------

    /** OpenRouter's answer to a flagged prompt, with the provider's internals a caller must not see. */
    private static final String FLAGGED_INPUT = """
            {"error":{"message":"Input flagged by moderation: harassment","code":403,
             "metadata":{"reasons":["harassment"],"flagged_input":"...","provider_name":"upstream-7.internal"}}}""";

    @Autowired
    private ProviderRegistry providers;

    @Autowired
    private MeterRegistry meters;

    /** A key a test had refused must not stay out for the tests after it, which share this context. */
    @AfterEach
    void restoreRefusedKeys() {
        providers.all().forEach(provider -> provider.keys().refused().forEach(provider.keys()::restore));
    }

    @Test
    void aProviders403ForFlaggedInputIsTheCallers403WithASafeMessageAndDisablesNoKey() {
        upstream.enqueue(Script.status(403).errorBody(FLAGGED_INPUT));

        chat("fake").expectStatus().isForbidden()
                .expectBody().jsonPath("$.error.code").isEqualTo("upstream_refused");
        assertThat(upstream.requests()).as("a refusal of the request is tried on no other key").isEqualTo(1);
        assertThat(disabledKeys("fake")).as("and takes no key out of rotation").isZero();

        chat("fake").expectStatus().isOk();
        assertThat(upstream.apiKeys()).as("the same key serves the next request").endsWith(FAKE_KEY);
    }

    @Test
    void aProviders403PassesNoneOfItsInternalsToTheCaller() {
        upstream.enqueue(Script.status(403).errorBody(FLAGGED_INPUT));

        String body = new String(chat("fake").expectStatus().isForbidden().expectBody().returnResult().getResponseBodyContent(),
                StandardCharsets.UTF_8);

        assertThat(body).as("no provider text, reasons or host names").doesNotContain("harassment", "flagged",
                "upstream-7.internal");
    }

    @Test
    void a401TakesTheKeyOutOfRotationAndTheAlertGaugeCountsIt() {
        upstream.refuseKeys(FAKE_KEY);

        chat("fake").expectStatus().isEqualTo(502)
                .expectBody().jsonPath("$.error.message").value(message -> assertThat((String) message)
                        .as("the operator's problem, named without the provider's words").contains("credentials")
                        .doesNotContain("Incorrect API key"));

        assertThat(disabledKeys("fake")).as("sluice_provider_keys_disabled").isEqualTo(1);
    }

    private double disabledKeys(String provider) {
        return meters.get("sluice.provider.keys.disabled").tag("provider", provider).gauge().value();
    }

    // --- 6. Token quotas cannot be overspent --------------------------------------------------------------------

    // --- 7. Model names are bounded ---------------------------------------------------------------------------

    @Test
    void tenThousandHostileModelNamesAreAll400sNamingModelAndAddNoMetricSeries() {
        chat("fake").expectStatus().isOk(); // the series of a legitimate chat exist before counting
        int before = series();
        Random random = new Random(12);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            // The fake provider allows "*": before the check, each of these was a model and a new series.
            names.add(i % 2 == 0 ? "fake/" + randomName(random, ModelNames.MAX_LENGTH)
                    : "fake/" + randomName(random, 10) + " \"{}<>\\%ñ\u0000".charAt(random.nextInt(10)) + i);
        }

        Map<Integer, Long> statuses = Flux.fromIterable(names)
                .flatMap(name -> client().post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(Map.of("model", name, "messages", List.of(Map.of("role", "user", "content", "Hi"))))
                        .exchangeToMono(response -> response.bodyToMono(String.class).defaultIfEmpty("")
                                .map(body -> body.contains("\"param\":\"model\"") ? response.statusCode().value() : -1)), 16)
                .collect(Collectors.groupingBy(status -> status, Collectors.counting()))
                .block(Duration.ofMinutes(10));

        assertThat(statuses).as("every name refused with a 400 naming model").containsOnlyKeys(400);
        assertThat(upstream.requests()).as("none reached the provider").isEqualTo(1);
        assertThat(series() - before).as("a few series for the 400s, not one a name").isLessThanOrEqualTo(10);
        chat("fake").expectStatus().isOk();
    }

    @Test
    void directModelsThatOnlyAStarAllowsAreTaggedOtherInEveryMetric() {
        chat("fake/first-" + System.nanoTime()).expectStatus().isOk();
        int before = series();

        for (int i = 0; i < 30; i++) {
            chat("fake/any-" + i + "-" + System.nanoTime()).expectStatus().isOk();
        }

        assertThat(series() - before).as("thirty names, no new series").isZero();
        assertThat(scrape()).as("the request, first-token and token metrics say other")
                .containsPattern("http_server_requests_seconds_count\\{[^}]*model=\"other\"")
                .containsPattern("sluice_upstream_first_token_seconds_count\\{[^}]*model=\"other\"")
                .containsPattern("sluice_tokens_total\\{[^}]*model=\"other\"");
    }

    private static String randomName(Random random, int length) {
        StringBuilder name = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            name.append((char) ('a' + random.nextInt(26)));
        }
        return name.toString();
    }

    private WebTestClient.ResponseSpec chat(String model) {
        return web.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange();
    }

    private String scrape() {
        return web.get().uri("/actuator/prometheus").exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
    }

    /**
     * Time series on the scrape, a histogram's buckets left out (one new histogram is ~70 bucket lines): its lines
     * that are neither comments nor buckets. The scrape's own request is counted once it has been made.
     */
    private int series() {
        scrape();
        return (int) scrape().lines()
                .filter(line -> !line.isBlank() && !line.startsWith("#") && !line.contains("_bucket{"))
                .count();
    }
}
