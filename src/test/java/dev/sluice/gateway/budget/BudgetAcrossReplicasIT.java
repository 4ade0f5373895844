package dev.sluice.gateway.budget;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.sluice.bench.FakeUpstream;
import dev.sluice.bench.Script;
import dev.sluice.gateway.SluiceApplication;
import dev.sluice.gateway.quota.TestAccounts;
import dev.sluice.gateway.testing.ExternalServices;
import dev.sluice.gateway.testing.SseEvents;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two replicas sharing PostgreSQL and Redis let one user spend exactly their USD budget, however calls interleave:
 * each call costs exactly its worst case ($0.08: 8 reply tokens at a cent each, capped at 8, free prompts), so the
 * budget holds a whole number of calls and not one more.
 */
class BudgetAcrossReplicasIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String ADMIN = "budget-replicas-admin@admins.example";

    private final FakeUpstream upstream = FakeUpstream.start(0, Script.tokens(8).firstTokenAfter(Duration.ofMillis(5)));
    private final ExternalServices services = ExternalServices.get();
    private final List<ConfigurableApplicationContext> replicas = new ArrayList<>();

    @AfterEach
    void stop() {
        replicas.forEach(ConfigurableApplicationContext::close);
        upstream.close();
    }

    @Test
    void manyParallelCallsOfOneUserOverTwoReplicasStopExactlyAtTheDailyBudget() {
        burstOverTwoReplicas("0.40", 5, 60);
    }

    @Test
    void aLargerBudgetStaysExactToo() {
        burstOverTwoReplicas("2.00", 25, 120);
    }

    /** An admin sets a user's budget on one replica; the other enforces it at once, without defaults of its own. */
    @Test
    void aBudgetSetOnOneReplicaStopsTheOtherToo() {
        List<String> urls = List.of(baseUrl(replica(null)), baseUrl(replica(null)));
        TestAccounts.Account user = TestAccounts.register(urls.get(0));
        TestAccounts.Account admin = TestAccounts.registerOrLogin(urls.get(0), ADMIN);
        warmUp(urls.get(1), user);
        assertThat(chat(urls.get(1), user).block(TIMEOUT)).as("no budget yet").isEqualTo(200);

        WebClient.create(urls.get(0)).put().uri("/api/v1/admin/users/" + user.id() + "/budget")
                .header(HttpHeaders.AUTHORIZATION, admin.bearer()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"daily_usd\":0.16}").retrieve().toBodilessEntity().block(TIMEOUT);

        await().atMost(Duration.ofSeconds(10)).until(() -> quota(urls.get(1), user).has("budgets"));
        List<Integer> statuses = Flux.range(0, 4).concatMap(i -> chat(urls.get(1), user)).collectList().block(TIMEOUT);
        assertThat(statuses).as("two calls of $0.08, then refusals").containsExactly(200, 200, 429, 429);
    }

    private void burstOverTwoReplicas(String dailyUsd, int fit, int attempts) {
        List<String> urls = List.of(baseUrl(replica(dailyUsd)), baseUrl(replica(dailyUsd)));
        TestAccounts.Account user = TestAccounts.register(urls.get(0));
        urls.forEach(url -> warmUp(url, user));

        List<Integer> statuses = Flux.range(0, attempts)
                .flatMap(i -> chat(urls.get(i % 2), user), 20)
                .collectList()
                .block(TIMEOUT);

        assertThat(statuses).as("served or refused by the budget, nothing else").containsOnly(200, 429);
        assertThat(statuses).as("exactly the calls the budget holds succeed, on both replicas together")
                .filteredOn(status -> status == 200).hasSize(fit);
        assertThat(upstream.requests()).as("refused calls never reach the upstream").isEqualTo(fit);
        await().atMost(TIMEOUT).untilAsserted(() -> {
            JsonNode daily = quota(urls.get(1), user).path("budgets").get(0);
            assertThat(daily.path("reserved_usd").decimalValue()).as("every hold settled").isZero();
            assertThat(daily.path("spent_usd").decimalValue()).as("spent to the very limit, not past it")
                    .isEqualByComparingTo(new BigDecimal(dailyUsd));
        });
    }

    /**
     * One request of each kind the burst makes, none of them charged: a cold replica's first concurrent requests
     * contend for Jackson's caches, a wait BlockHound reports as blocking (as in QuotaAcrossReplicasIT).
     */
    private static void warmUp(String baseUrl, TestAccounts.Account user) {
        quota(baseUrl, user);
        // An unknown model is refused before the budget is held.
        WebClient.create(baseUrl).post().uri("/v1/chat/completions").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchangeToMono(response -> response.releaseBody()).block(TIMEOUT);
    }

    private static JsonNode quota(String baseUrl, TestAccounts.Account user) {
        return SseEvents.json(WebClient.create(baseUrl).get().uri("/api/v1/quota").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .retrieve().bodyToMono(String.class).block(TIMEOUT));
    }

    /** The status of one $0.08 call, with a 429's body checked to be the budget's and not another limit's. */
    private static Mono<Integer> chat(String baseUrl, TestAccounts.Account user) {
        return WebClient.create(baseUrl).post().uri("/v1/chat/completions")
                .header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"shared\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchangeToMono(response -> response.bodyToMono(String.class).defaultIfEmpty("").map(body -> {
                    int status = response.statusCode().value();
                    return status == 429 && !body.contains("budget_exceeded") ? -429 : status;
                }));
    }

    /** A replica whose users have {@code dailyUsd} a day by default ({@code null}: no default budget). */
    private ConfigurableApplicationContext replica(String dailyUsd) {
        List<String> args = new ArrayList<>(List.of(
                "--server.port=0",
                "--sluice.providers.budget-replicas.type=openai",
                "--sluice.providers.budget-replicas.base-url=" + upstream.baseUrl(),
                "--sluice.providers.budget-replicas.api-keys=key-a",
                "--sluice.providers.budget-replicas.max-concurrency=200",
                "--sluice.providers.budget-replicas.prices.m.input=0",
                "--sluice.providers.budget-replicas.prices.m.output=10000",
                "--sluice.aliases.shared.targets=budget-replicas/m",
                // Both replicas must accept the tokens either one issues.
                "--sluice.auth.jwt-secret=budget-replicas-test-secret-of-32-bytes-or-more",
                "--sluice.auth.bootstrap-admin.email=" + ADMIN,
                "--sluice.auth.bootstrap-admin.password=" + TestAccounts.PASSWORD,
                // Calls queue on one row: on a loaded machine some wait past the default timeout, and would then take
                // the outage allowance, which is not what this test is about.
                "--sluice.budgets.reservation-timeout=60s",
                "--sluice.quotas.reservation-timeout=60s",
                // Only the budget may refuse calls here.
                "--sluice.limits.per-ip.requests-per-minute=100000",
                "--sluice.limits.per-user.requests-per-minute=100000",
                "--sluice.limits.per-user.max-concurrent-streams=100"));
        if (dailyUsd != null) {
            args.add("--sluice.budgets.per-user.daily-usd=" + dailyUsd);
        }
        for (Map.Entry<String, Object> property : services.springProperties().entrySet()) {
            args.add("--" + property.getKey() + "=" + property.getValue());
        }
        ConfigurableApplicationContext context = new SpringApplicationBuilder(SluiceApplication.class)
                .run(args.toArray(String[]::new));
        replicas.add(context);
        return context;
    }

    private static String baseUrl(ConfigurableApplicationContext replica) {
        return "http://127.0.0.1:" + ((WebServerApplicationContext) replica).getWebServer().getPort();
    }
}
