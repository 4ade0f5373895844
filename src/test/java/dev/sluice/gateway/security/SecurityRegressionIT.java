package dev.sluice.gateway.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import dev.sluice.bench.Script;
import dev.sluice.gateway.SluiceApplication;
import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.config.InvalidConfigurationException;
import dev.sluice.gateway.conversation.HistoryWrite;
import dev.sluice.gateway.conversation.HistoryWriter;
import dev.sluice.gateway.provider.ProviderRegistry;
import dev.sluice.gateway.quota.DailyQuota;
import dev.sluice.gateway.routing.ModelNames;
import dev.sluice.gateway.testing.ExternalServices;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Issue 12's points 1–7, attacked end to end over HTTP against the whole gateway on real PostgreSQL and Redis:
 * each test failed before its fix. Points that need other settings than {@link IntegrationTest}'s (closed
 * registration, a tiny per-IP limit, a second replica) have classes of their own beside this one.
 */
class SecurityRegressionIT extends IntegrationTest {

    // --- 1. Admin by registration -----------------------------------------------------------------------------
    // At volume, and with the role endpoint, in SecurityRegressionAdminIT; registration by invite in SecurityRegressionInviteIT.

    @Test
    void registeringTheShippedExampleAdminsEmailGivesNoAdminRole() {
        // ops@example.com is in .env.example and k8s/configmap.yaml; a fresh suffix, since the database outlives runs.
        String email = "ops+" + UUID.randomUUID() + "@example.com";
        web.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", "first come first served"))
                .exchange().expectStatus().isCreated();
        String token = JsonMapper.builder().build().readTree(web.post().uri("/api/v1/auth/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("email", email, "password", "first come first served")).exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody()).path("access_token").asString();

        web.get().uri("/api/v1/admin/usage").header(HttpHeaders.AUTHORIZATION, "Bearer " + token).exchange()
                .expectStatus().isForbidden();
    }

    // --- 2. Known secrets accepted ------------------------------------------------------------------------------
    // The rules themselves in auth/JwtSecretsTests; here, the real application refusing the repository's examples.

    @Test
    void prodRefusesToStartWithTheJwtSecretOfTheRepositorysExamples() throws IOException {
        Matcher env = Pattern.compile("(?m)^SLUICE_AUTH_JWT_SECRET=(.*)$").matcher(Files.readString(Path.of(".env.example")));
        Matcher k8s = Pattern.compile("(?m)^\\s*SLUICE_AUTH_JWT_SECRET:\\s*(.*)$")
                .matcher(Files.readString(Path.of("k8s/secret.example.yaml")));
        assertThat(env.find() && k8s.find()).as("both examples set the secret").isTrue();

        for (String shipped : new String[] {env.group(1).strip(), k8s.group(1).strip()}) {
            assertThatThrownBy(() -> new SpringApplicationBuilder(SluiceApplication.class)
                    .run("--server.port=0", "--spring.profiles.active=prod", "--sluice.auth.jwt-secret=" + shipped).close())
                    .as(shipped).rootCause().isInstanceOf(InvalidConfigurationException.class)
                    .hasMessageContaining("sluice.auth.jwt-secret").hasMessageContaining("openssl rand -base64 48");
        }
    }

    // --- 3. Forwarded headers trusted from anyone ------------------------------------------------------------
    // In SecurityRegressionForwardedIT: it needs the Kubernetes cloud platform on and a small per-IP limit.

    // --- 4. Failed authentication is rate limited; bad keys do not reach the database -------------------------
    // The edge's part in SecurityRegressionKeyGuessingIT: it needs anonymous access off and a small per-IP limit.

    @Autowired
    HistoryWriter writer;

    /**
     * A conversation this replica does not remember is loaded from the database, within
     * {@code sluice.history.load-timeout} (2 s): a database that does not answer makes the chat a 503 with
     * {@code Retry-After}, not a request that waits as long as the database does. Not a chat without its context,
     * which would answer another question than the one asked.
     */
    @Test
    void aConversationWhoseContextTheDatabaseDoesNotGiveInTimeIsA503() {
        UUID conversation = UUID.randomUUID();
        assertThat(writer.offer(List.of(
                new HistoryWrite.NewConversation(conversation, Caller.ANONYMOUS_ID, "Stalled", OffsetDateTime.now()),
                new HistoryWrite.Message(UUID.randomUUID(), conversation, Caller.ANONYMOUS_ID, "user", "Earlier", "fake", null,
                        null, null, null, null, null, "ok", null, null, null, OffsetDateTime.now())))).isTrue();
        assertThat(writer.flush(Duration.ofSeconds(10))).isTrue();
        Connection locker = Mono.from(ConnectionFactories.get(ExternalServices.get().r2dbcUrl()).create()).block();
        try {
            // The database stalls on messages: whoever reads them waits for this transaction.
            Mono.from(locker.beginTransaction()).block();
            Flux.from(locker.createStatement("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE").execute())
                    .flatMap(Result::getRowsUpdated).blockLast();

            long started = System.nanoTime();
            web.mutate().responseTimeout(Duration.ofSeconds(20)).build()
                    .post().uri("/api/v1/chat").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue("{\"model\":\"fake\",\"prompt\":\"Next\",\"conversation_id\":\"" + conversation + "\"}")
                    .exchange()
                    .expectStatus().isEqualTo(503)
                    .expectHeader().exists(HttpHeaders.RETRY_AFTER);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("answered at the load timeout, not later")
                    .isLessThan(Duration.ofSeconds(10));
            assertThat(upstream.requests()).as("nothing went upstream without its context").isZero();
        }
        finally {
            Mono.from(locker.rollbackTransaction()).block();
            Mono.from(locker.close()).block();
        }
    }

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

    /** The requests that reached the fake upstream, parsed. */
    private static List<JsonNode> sentUpstream() {
        return upstream.requestBodies().stream().map(SseEvents::json).toList();
    }

    @Autowired
    DailyQuota quota;

    @Test
    void theReplyCapSentUpstreamIsTheRequestedMaxTokensElseTheAllowanceAndNeverMoreThanIsLeftToday() {
        QuotaUser user = QuotaUser.register(client());

        quotaChat(user, "\"max_tokens\":50,").expectStatus().isOk();
        quotaChat(user, "\"max_completion_tokens\":40,").expectStatus().isOk();
        quotaChat(user, "").expectStatus().isOk();
        long used = user.awaitSettled(web);
        user.limitTokens(used + 20, quota);
        user.awaitSettled(web); // what the block held is back before the next chat asks what is left
        quotaChat(user, "\"max_tokens\":500,").expectStatus().isOk();

        List<JsonNode> sent = sentUpstream();
        assertThat(sent).extracting(body -> body.has("max_tokens") ? body.path("max_tokens").asInt()
                        : body.path("max_completion_tokens").asInt())
                .as("as asked; as asked under its newer name; the 1,000-token reply allowance; and the 19 tokens left"
                        + " after the 1-token prompt")
                .containsExactly(50, 40, 1_000, 19);
        assertThat(sent.get(1).has("max_tokens")).as("the newer name's cap goes under that name alone").isFalse();
    }

    @Test
    void toolsToolCallArgumentsAndResponseFormatSchemasCountAgainstTheTokenQuota() {
        QuotaUser user = QuotaUser.register(client());
        user.limitTokens(500, quota);
        String big = "x".repeat(4_000);
        List<String> bodies = List.of(
                "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"description\":\"" + big + "\"}}],",
                "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\","
                        + "\"properties\":{\"" + big + "\":{\"type\":\"string\"}}}}}],",
                "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"s\",\"schema\":{\"title\":\""
                        + big + "\"}}},");
        for (String fields : bodies) {
            assertThat(quotaChat(user, "\"max_tokens\":10," + fields).expectStatus().isEqualTo(429)
                    .expectBody(String.class).returnResult().getResponseBody())
                    .as("about 1,000 input tokens do not fit in 500, whatever field holds them").contains("Daily token quota exceeded");
        }
        String toolCall = "{\"model\":\"fake\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"f\",\"arguments\":\"" + big + "\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"ok\"}]}";
        web.post().uri("/v1/chat/completions").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(toolCall).exchange()
                .expectStatus().isEqualTo(429);

        assertThat(upstream.requests()).as("none of them went upstream").isZero();
    }

    @Test
    void aRequestTheCallerHangsUpOnBeforeItsFirstTokenIsChargedThePromptTheProviderRead() {
        QuotaUser user = QuotaUser.register(client());
        upstream.enqueue(Script.tokens(5).firstTokenAfter(FIRST_TOKEN_TIMEOUT.minusMillis(100)));

        reactor.core.Disposable call = client().post().uri("/v1/chat/completions").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\""
                        + "x".repeat(400) + "\"}]}")
                .retrieve().bodyToFlux(String.class).subscribe();
        await().atMost(Duration.ofSeconds(10)).until(() -> upstream.requests() == 1);
        call.dispose();

        assertThat(user.awaitSettled(web)).as("the 400-character prompt's 100 tokens, not 0").isEqualTo(100);
    }

    @Test
    void aRequestThatTimesOutBeforeItsFirstTokenIsChargedItsPromptOnce() {
        QuotaUser user = QuotaUser.register(client());
        // One retry: both tries outwait the first-token timeout.
        upstream.enqueue(Script.tokens(5).firstTokenAfter(FIRST_TOKEN_TIMEOUT.multipliedBy(3)),
                Script.tokens(5).firstTokenAfter(FIRST_TOKEN_TIMEOUT.multipliedBy(3)));

        web.mutate().responseTimeout(Duration.ofSeconds(30)).build()
                .post().uri("/v1/chat/completions").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(400) + "\"}]}")
                .exchange().expectStatus().isEqualTo(504);

        assertThat(upstream.requests()).isEqualTo(2);
        assertThat(user.awaitSettled(web)).as("100 prompt tokens, once for the request, however many tries").isEqualTo(100);
    }

    @Test
    void whenNoTokensAreLeftTheCallerGets429WithRetryAfterAndTheRateLimitHeaders() {
        QuotaUser user = QuotaUser.register(client());
        user.limitTokens(0, quota);

        quotaChat(user, "").expectStatus().isEqualTo(429)
                .expectHeader().exists(HttpHeaders.RETRY_AFTER)
                .expectHeader().exists("X-RateLimit-Limit")
                .expectHeader().exists("X-RateLimit-Remaining")
                .expectHeader().exists("X-RateLimit-Reset");
        assertThat(upstream.requests()).isZero();
    }

    private WebTestClient.ResponseSpec quotaChat(QuotaUser user, String fields) {
        return web.post().uri("/v1/chat/completions").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\"," + fields + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange();
    }

    /** A new account with its own token limit, set in the database as an admin would through the API. */
    private record QuotaUser(UUID id, String token) {

        private static final DatabaseClient DATABASE = DatabaseClient.create(
                ConnectionFactories.get(ExternalServices.get().r2dbcUrl()));

        static QuotaUser register(WebClient client) {
            String email = "quota-" + UUID.randomUUID() + "@example.com";
            Map<String, String> credentials = Map.of("email", email, "password", "quota test password");
            client.post().uri("/api/v1/auth/register").contentType(MediaType.APPLICATION_JSON).bodyValue(credentials)
                    .retrieve().toBodilessEntity().block(Duration.ofSeconds(20));
            String token = SseEvents.json(client.post().uri("/api/v1/auth/login").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(credentials).retrieve().bodyToMono(String.class).block(Duration.ofSeconds(20)))
                    .path("access_token").asString();
            String claims = new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]));
            return new QuotaUser(UUID.fromString(SseEvents.json(claims).path("sub").asString()), token);
        }

        String bearer() {
            return "Bearer " + token;
        }

        /** The new limit, and what the admin endpoint does with it: this replica's blocks of the old one go back. */
        void limitTokens(long dailyTokens, DailyQuota quota) {
            DATABASE.sql("UPDATE users SET daily_tokens = :tokens WHERE id = :id").bind("tokens", dailyTokens).bind("id", id)
                    .fetch().rowsUpdated().block(Duration.ofSeconds(10));
            quota.limitsChanged(id);
        }

        /** The tokens used today once nothing is held any more. */
        long awaitSettled(WebTestClient web) {
            JsonNode[] tokens = new JsonNode[1];
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                tokens[0] = SseEvents.json(web.get().uri("/api/v1/quota").header(HttpHeaders.AUTHORIZATION, bearer())
                        .exchange().expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody()).path("tokens");
                assertThat(tokens[0].path("reserved").asLong()).as("settled").isZero();
            });
            return tokens[0].path("used").asLong();
        }
    }

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
