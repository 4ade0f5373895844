package dev.sluice.gateway.budget;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import dev.sluice.bench.Script;
import dev.sluice.gateway.llm.TokenEstimate;
import dev.sluice.gateway.quota.TestAccounts;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * USD budgets through HTTP, at a price of one cent per reply token ($10,000 per million) and free prompts, so that a
 * reply of 8 tokens with {@code max_tokens: 8} costs exactly its worst case, $0.08: as much as each end user may spend
 * a day.
 */
@TestPropertySource(properties = {"sluice.auth.bootstrap-admin.email=" + BudgetIT.ADMIN_EMAIL,
        "sluice.auth.bootstrap-admin.password=" + TestAccounts.PASSWORD,
        "sluice.providers.fake.prices.fake-model.input=0", "sluice.providers.fake.prices.fake-model.output=10000",
        "sluice.budgets.alert-at=0.8", "sluice.auth.end-users.enabled=true", "sluice.budgets.per-end-user.daily-usd=0.08"})
class BudgetIT extends IntegrationTest {

    static final String ADMIN_EMAIL = "budget-admin@admins.example";
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    /** The price of one reply token, in micro-USD. */
    private static final long PER_TOKEN = 10_000;

    @Autowired
    MeterRegistry registry;

    private TestAccounts.Account admin;
    private TestAccounts.Account user;

    @BeforeEach
    void accounts() {
        admin = TestAccounts.registerOrLogin(baseUrl(), ADMIN_EMAIL);
        user = TestAccounts.register(baseUrl());
    }

    @Test
    void pastItsDailyBudgetACallerGets429UntilMidnightWithHeadersAndABodyNamingTheBudget() {
        setBudget(user.id(), "{\"daily_usd\":0.16,\"monthly_usd\":null}").expectStatus().isOk();
        chat(user, "/v1/chat/completions").expectStatus().isOk();
        chat(user, "/v1/chat/completions").expectStatus().isOk();
        awaitSettled(user, "daily", "0.16");

        long untilMidnight = Duration.between(Instant.now(), LocalDate.now(ZoneOffset.UTC).plusDays(1)
                .atStartOfDay(ZoneOffset.UTC).toInstant()).toSeconds();
        JsonNode openAi = body(chat(user, "/v1/chat/completions")
                .expectStatus().isEqualTo(429)
                .expectHeader().value(HttpHeaders.RETRY_AFTER, retryAfter -> assertThat(Long.parseLong(retryAfter))
                        .as("seconds until 00:00 UTC").isBetween(untilMidnight - 5, untilMidnight + 5))
                .expectHeader().valueEquals("X-RateLimit-Limit", "160000")
                .expectHeader().valueEquals("X-RateLimit-Remaining", "0")
                .expectHeader().value("X-RateLimit-Reset", reset -> assertThat(Long.parseLong(reset))
                        .as("the period's end, as Retry-After").isBetween(untilMidnight - 5, untilMidnight + 5)));
        JsonNode problem = body(chat(user, "/api/v1/chat")
                .expectStatus().isEqualTo(429)
                .expectHeader().exists(HttpHeaders.RETRY_AFTER)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON));

        assertThat(openAi.at("/error/type").asString()).isEqualTo("rate_limit_error");
        assertThat(openAi.at("/error/code").asString()).as("names the budget").isEqualTo("budget_exceeded");
        assertThat(openAi.at("/error/message").asString())
                .startsWith("Daily budget of the user used up: $0.16 of $0.16 spent or held today; it resets at ");
        assertThat(problem.path("type").asString()).isEqualTo("https://sluice.dev/problems/budget-exceeded");
        assertThat(problem.path("detail").asString()).as("a stream is refused before it starts")
                .startsWith("Daily budget of the user used up");
        assertThat(upstream.requests()).as("refused calls never reach the upstream").isEqualTo(2);
    }

    @Test
    void aMonthlyBudgetRefusesUntilTheFirstOfNextMonth() {
        setBudget(user.id(), "{\"monthly_usd\":0.08}").expectStatus().isOk();
        chat(user, "/v1/chat/completions").expectStatus().isOk();
        awaitSettled(user, "monthly", "0.08");

        Instant nextMonth = LocalDate.now(ZoneOffset.UTC).withDayOfMonth(1).plusMonths(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        long untilNextMonth = Duration.between(Instant.now(), nextMonth).toSeconds();
        JsonNode refused = body(chat(user, "/v1/chat/completions").expectStatus().isEqualTo(429)
                .expectHeader().value(HttpHeaders.RETRY_AFTER, retryAfter -> assertThat(Long.parseLong(retryAfter))
                        .isBetween(untilNextMonth - 5, untilNextMonth + 5)));
        assertThat(refused.at("/error/message").asString()).startsWith("Monthly budget of the user used up")
                .contains("this month").endsWith("it resets at " + nextMonth);
    }

    @Test
    void aCallWhoseWorstCaseDoesNotFitIsRefusedEvenWithMoneyLeft() {
        setBudget(user.id(), "{\"daily_usd\":0.10}").expectStatus().isOk();

        JsonNode refused = body(post(user, "/v1/chat/completions", "{\"model\":\"fake\",\"max_tokens\":11,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}").expectStatus().isEqualTo(429));

        assertThat(refused.at("/error/message").asString()).as("says why, and what to do")
                .startsWith("Daily budget of the user exceeded: this call may cost up to $0.11 and $0.10 of $0.10 are"
                        + " left today; lower max_tokens");
        post(user, "/v1/chat/completions", "{\"model\":\"fake\",\"max_tokens\":10,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}").expectStatus().isOk();
    }

    @Test
    void aCutStreamIsSettledToTheEstimateOfWhatItStreamed() {
        setBudget(user.id(), "{\"daily_usd\":5}").expectStatus().isOk();
        upstream.enqueue(Script.tokens(8).dropAfter(3));

        List<String> received = streamedChat(user.bearer(), "{\"model\":\"fake\",\"stream\":true,\"max_tokens\":8,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}").onErrorComplete().collectList().block(TIMEOUT);

        assertThat(received).as("three pieces, then the cut").isNotEmpty();
        long streamed = TokenEstimate.ofChars("tok0 tok1 tok2 ".length());
        await().atMost(TIMEOUT).untilAsserted(() -> {
            JsonNode daily = budget(user, "daily");
            assertThat(daily.path("reserved_usd").decimalValue()).as("the worst case goes back").isZero();
            assertThat(daily.path("spent_usd").decimalValue()).as("what was streamed, estimated")
                    .isEqualByComparingTo(usd(streamed * PER_TOKEN));
        });
    }

    @Test
    void aClientThatHangsUpMidStreamIsSettledAndHoldsNothing() {
        setBudget(user.id(), "{\"daily_usd\":5}").expectStatus().isOk();
        upstream.enqueue(Script.tokens(100).every(Duration.ofMillis(50)));

        List<String> received = streamedChat(user.bearer(), "{\"model\":\"fake\",\"stream\":true,\"max_tokens\":100,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Talk for a while\"}]}").take(3).collectList().block(TIMEOUT);

        assertThat(received).hasSize(3);
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(upstream.cancelledStreams()).isEqualTo(1));
        await().atMost(TIMEOUT).untilAsserted(() -> {
            JsonNode daily = budget(user, "daily");
            assertThat(daily.path("reserved_usd").decimalValue()).as("the hold does not leak").isZero();
            assertThat(daily.path("spent_usd").decimalValue()).as("what was streamed, not the worst case of $1.00")
                    .isPositive().isLessThan(new BigDecimal("1.00"));
        });
    }

    @Test
    void aReplyFromTheCacheCostsNothing() {
        setBudget(user.id(), "{\"daily_usd\":5}").expectStatus().isOk();
        String deterministic = "{\"model\":\"fake\",\"temperature\":0,\"max_tokens\":8,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Cache me " + UUID.randomUUID() + "\"}]}";
        post(user, "/v1/chat/completions", deterministic).expectStatus().isOk().expectHeader().valueEquals("X-Sluice-Cache", "miss");
        awaitSettled(user, "daily", "0.08");

        post(user, "/v1/chat/completions", deterministic).expectStatus().isOk().expectHeader().valueEquals("X-Sluice-Cache", "hit");

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(budget(user, "daily").path("reserved_usd").decimalValue()).isZero());
        assertThat(budget(user, "daily").path("spent_usd").decimalValue()).as("the hit added nothing")
                .isEqualByComparingTo("0.08");
    }

    @Test
    void theQuotaShowsEachBudgetWithItsThresholdAndTheMetricCountsCallsPastIt() {
        setBudget(user.id(), "{\"daily_usd\":0.09,\"monthly_usd\":20}").expectStatus().isOk();
        JsonNode before = budget(user, "daily");
        assertThat(before.path("limit_usd").decimalValue()).isEqualByComparingTo("0.09");
        assertThat(before.path("spent_usd").decimalValue()).isZero();
        assertThat(before.path("remaining_usd").decimalValue()).isEqualByComparingTo("0.09");
        assertThat(before.path("alert_at_usd").decimalValue()).as("alert-at 0.8 of the limit").isEqualByComparingTo("0.072");
        assertThat(before.path("past_alert").asBoolean()).isFalse();
        assertThat(before.path("resets_at").asString())
                .isEqualTo(LocalDate.now(ZoneOffset.UTC).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().toString());
        double pastAlert = counter("sluice.budget.calls.past.alert", "daily");
        double monthlyPastAlert = counter("sluice.budget.calls.past.alert", "monthly");

        chat(user, "/v1/chat/completions").expectStatus().isOk();

        awaitSettled(user, "daily", "0.08");
        JsonNode after = budget(user, "daily");
        assertThat(after.path("remaining_usd").decimalValue()).isEqualByComparingTo("0.01");
        assertThat(after.path("past_alert").asBoolean()).as("$0.08 is past $0.072").isTrue();
        assertThat(budget(user, "monthly").path("past_alert").asBoolean()).isFalse();
        assertThat(counter("sluice.budget.calls.past.alert", "daily") - pastAlert)
                .as("the call that took the daily budget past its threshold").isEqualTo(1);
        assertThat(counter("sluice.budget.calls.past.alert", "monthly")).isEqualTo(monthlyPastAlert);

        double rejections = counter("sluice.budget.rejections", "daily");
        chat(user, "/v1/chat/completions").expectStatus().isEqualTo(429);
        assertThat(counter("sluice.budget.rejections", "daily") - rejections).isEqualTo(1);
        String prometheus = web.get().uri("/actuator/prometheus").exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
        assertThat(prometheus).as("labelled by scope and period, never by user")
                .contains("sluice_budget_calls_past_alert_total{period=\"daily\",scope=\"user\"}")
                .doesNotContain(user.id().toString());
    }

    @Test
    void aKeysBudgetStopsCallsWithThatKeyWhileTheUsersOwnBudgetGoesOn() {
        setBudget(user.id(), "{\"daily_usd\":5}").expectStatus().isOk();
        String key = body(web.post().uri("/api/v1/keys").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"name\":\"app\",\"budget_usd\":0.08,\"budget_period\":\"monthly\"}")
                .exchange().expectStatus().isCreated()).path("key").asString();
        TestAccounts.Account withKey = new TestAccounts.Account(user.id(), user.email(), key);

        chat(withKey, "/v1/chat/completions").expectStatus().isOk();
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(keyBudget(withKey).path("spent_usd").decimalValue())
                .isEqualByComparingTo("0.08"));
        JsonNode refused = body(chat(withKey, "/v1/chat/completions").expectStatus().isEqualTo(429));

        assertThat(refused.at("/error/message").asString()).startsWith("Monthly budget of the API key used up: $0.08 of $0.08");
        assertThat(budget(withKey, "daily").path("spent_usd").decimalValue()).as("the user's budget is charged too")
                .isEqualByComparingTo("0.08");
        chat(user, "/v1/chat/completions").expectStatus().isOk();
    }

    @Test
    void anEndUserWhoSpentTheirDailyBudgetGets429NamingItWhileTheKeysOtherEndUsersAreServed() {
        String key = createKey("{\"name\":\"app\"}");
        String otherKey = createKey("{\"name\":\"other app\"}");
        endUserChat(key, "alice").expectStatus().isOk();

        long untilMidnight = Duration.between(Instant.now(), LocalDate.now(ZoneOffset.UTC).plusDays(1)
                .atStartOfDay(ZoneOffset.UTC).toInstant()).toSeconds();
        JsonNode refused = body(endUserChat(key, "alice").expectStatus().isEqualTo(429)
                .expectHeader().value(HttpHeaders.RETRY_AFTER, retryAfter -> assertThat(Long.parseLong(retryAfter))
                        .as("seconds until 00:00 UTC").isBetween(untilMidnight - 5, untilMidnight + 5)));

        assertThat(refused.at("/error/code").asString()).isEqualTo("budget_exceeded");
        assertThat(refused.at("/error/message").asString()).as("names the end user's budget, spent by the first call")
                .startsWith("Daily budget of the end user used up: $0.08 of $0.08 spent or held today");
        endUserChat(key, "bob").expectStatus().isOk();
        endUserChat(otherKey, "alice").expectStatus().isOk(); // another app's alice is another end user
        chat(new TestAccounts.Account(user.id(), user.email(), key), "/v1/chat/completions")
                .expectStatus().isOk(); // the key itself, naming no end user, is not stopped
        assertThat(upstream.requests()).as("only the refused call never reached the upstream").isEqualTo(4);
    }

    @Test
    void withoutABudgetTheQuotaShowsNoneAndCallsAreNotHeld() {
        JsonNode quota = quota(user.bearer());
        assertThat(quota.has("budgets")).as("no budget applies: none shown").isFalse();
        chat(user, "/v1/chat/completions").expectStatus().isOk();
    }

    @Test
    void embeddingsAreHeldToTheBudgetToo() {
        setBudget(user.id(), "{\"daily_usd\":0}").expectStatus().isOk();

        JsonNode refused = body(post(user, "/v1/embeddings", "{\"model\":\"fake\",\"input\":\"hello\"}")
                .expectStatus().isEqualTo(429));

        assertThat(refused.at("/error/code").asString()).isEqualTo("budget_exceeded");
        assertThat(upstream.requests()).isZero();
    }

    @Test
    void anAdminSetsAndResetsAUsersBudget() {
        JsonNode set = body(setBudget(user.id(), "{\"daily_usd\":2.5,\"monthly_usd\":40}").expectStatus().isOk());
        assertThat(set.path("user_id").asString()).isEqualTo(user.id().toString());
        assertThat(set.path("daily_usd").decimalValue()).isEqualByComparingTo("2.5");
        assertThat(set.at("/effective/monthly_usd").decimalValue()).isEqualByComparingTo("40");
        assertThat(budget(user, "daily").path("limit_usd").decimalValue()).isEqualByComparingTo("2.5");

        JsonNode reset = body(setBudget(user.id(), "{\"daily_usd\":null,\"monthly_usd\":null}").expectStatus().isOk());
        assertThat(reset.path("daily_usd").isNull()).as("back to the default").isTrue();
        assertThat(reset.at("/effective/daily_usd").isNull()).as("which is none here").isTrue();
        assertThat(quota(user.bearer()).has("budgets")).isFalse();
    }

    @Test
    void badBudgetsAreRefusedWith400NamingTheFieldAndOnlyAdminsMaySetThem() {
        assertThat(body(setBudget(user.id(), "{\"daily_usd\":-1}").expectStatus().isBadRequest()).path("detail").asString())
                .startsWith("daily_usd:");
        assertThat(body(setBudget(user.id(), "{\"monthly_usd\":0.0000001}").expectStatus().isBadRequest())
                .path("detail").asString()).startsWith("monthly_usd:").contains("micro-dollar");
        assertThat(body(setBudget(user.id(), "{\"daily_usd\":\"lots\"}").expectStatus().isBadRequest())
                .path("detail").asString()).contains("daily_usd");
        setBudget(user.id(), "{\"daily_usd\":1e12}").expectStatus().isBadRequest();
        setBudget(UUID.randomUUID(), "{\"daily_usd\":1}").expectStatus().isNotFound();
        web.put().uri("/api/v1/admin/users/not-a-user/budget").header(HttpHeaders.AUTHORIZATION, admin.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"daily_usd\":1}").exchange().expectStatus().isNotFound();
        web.put().uri("/api/v1/admin/users/{id}/budget", user.id()).header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"daily_usd\":1000}").exchange().expectStatus().isForbidden();
        web.get().uri("/api/v1/admin/users/{id}/budget", user.id()).header(HttpHeaders.AUTHORIZATION, admin.bearer())
                .exchange().expectStatus().isEqualTo(405);
        assertThat(quota(user.bearer()).has("budgets")).as("nothing was stored").isFalse();
    }

    private void awaitSettled(TestAccounts.Account account, String period, String spent) {
        await().atMost(TIMEOUT).untilAsserted(() -> {
            JsonNode budget = budget(account, period);
            assertThat(budget.path("reserved_usd").decimalValue()).as("settled").isZero();
            assertThat(budget.path("spent_usd").decimalValue()).isEqualByComparingTo(spent);
        });
    }

    /**
     * On {@code /v1}, a call of exactly $0.08: 8 reply tokens, capped at 8. The native API takes no cap: its worst
     * case is the quota's reply allowance, $10.
     */
    private WebTestClient.ResponseSpec chat(TestAccounts.Account account, String path) {
        String body = path.startsWith("/v1/")
                ? "{\"model\":\"fake\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"
                : "{\"model\":\"fake\",\"prompt\":\"Hi\",\"stream\":false}";
        return post(account, path, body);
    }

    private String createKey(String json) {
        return body(web.post().uri("/api/v1/keys").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(json).exchange().expectStatus().isCreated())
                .path("key").asString();
    }

    /** {@link #chat}'s $0.08 call on {@code /v1}, with the key, for {@code endUser}. */
    private WebTestClient.ResponseSpec endUserChat(String key, String endUser) {
        return web.post().uri("/v1/chat/completions").header(HttpHeaders.AUTHORIZATION, "Bearer " + key)
                .header("X-Sluice-End-User", endUser).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange();
    }

    private WebTestClient.ResponseSpec post(TestAccounts.Account account, String path, String body) {
        return web.post().uri(path).header(HttpHeaders.AUTHORIZATION, account.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    private WebTestClient.ResponseSpec setBudget(UUID id, String json) {
        return web.put().uri("/api/v1/admin/users/{id}/budget", id).header(HttpHeaders.AUTHORIZATION, admin.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(json).exchange();
    }

    /** The user's budget of {@code period} in {@code GET /api/v1/quota}. */
    private JsonNode budget(TestAccounts.Account account, String period) {
        for (JsonNode budget : quota(account.bearer()).path("budgets")) {
            if (budget.path("scope").asString().equals("user") && budget.path("period").asString().equals(period)) {
                return budget;
            }
        }
        throw new AssertionError("no " + period + " budget in " + quota(account.bearer()));
    }

    private JsonNode keyBudget(TestAccounts.Account account) {
        for (JsonNode budget : quota(account.bearer()).path("budgets")) {
            if (budget.path("scope").asString().equals("key")) {
                return budget;
            }
        }
        throw new AssertionError("no key budget in " + quota(account.bearer()));
    }

    private double counter(String name, String period) {
        return registry.get(name).tag("scope", "user").tag("period", period).counter().count();
    }

    private static BigDecimal usd(long micros) {
        return BigDecimal.valueOf(micros, 6);
    }

    private static JsonNode body(WebTestClient.ResponseSpec response) {
        return SseEvents.json(new String(response.expectBody().returnResult().getResponseBodyContent(), StandardCharsets.UTF_8));
    }

    private String baseUrl() {
        return "http://127.0.0.1:" + port;
    }
}
