package dev.sluice.gateway.spend;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;

import dev.sluice.bench.Script;
import dev.sluice.gateway.quota.TestAccounts;
import dev.sluice.gateway.testing.IntegrationTest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What calls cost, through HTTP: priced from the fake upstream's reported usage, estimated when a stream is cut,
 * counted unpriced without a price, stored with history and as usage records, and reported back by day, model and
 * key, to the caller and to admins.
 */
@TestPropertySource(properties = {"sluice.auth.bootstrap-admin.email=" + SpendIT.ADMIN_EMAIL,
        "sluice.auth.bootstrap-admin.password=" + TestAccounts.PASSWORD,
        // USD per million tokens: 2.5 micro-USD per input token, 1.25 per cached one, 10 per output token.
        "sluice.providers.fake.prices.[fake-model].input=2.5",
        "sluice.providers.fake.prices.[fake-model].cached-input=1.25",
        "sluice.providers.fake.prices.[fake-model].output=10",
        "sluice.aliases.discount.targets=fake/fake-model",
        "sluice.aliases.discount.prices.[fake-model].input=1",
        "sluice.aliases.discount.prices.[fake-model].output=1",
        "sluice.aliases.unpriced.targets=fake/unpriced-model"})
class SpendIT extends IntegrationTest {

    static final String ADMIN_EMAIL = "spend-admin@admins.example";
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String TODAY = LocalDate.now(ZoneOffset.UTC).toString();

    @Autowired
    MeterRegistry registry;

    @Autowired
    DatabaseClient database;

    private TestAccounts.Account user;

    @BeforeEach
    void account() {
        user = TestAccounts.register(baseUrl());
    }

    @Test
    void aCallCostsTheReportedUsageAtTheConfiguredPricesWithCachedInputAtItsOwnPrice() {
        double spentBefore = spent("fake-model");
        upstream.enqueue(usage(1000, 500, 400));

        chat(user.bearer(), "fake").expectStatus().isOk();

        JsonNode total = awaitRequests(user, 1).path("total");
        assertThat(new BigDecimal(total.path("cost_usd").asString()))
                .as("600 × 2.5 + 400 × 1.25 + 500 × 10 micro-USD").isEqualByComparingTo("0.007");
        assertThat(total.path("input_tokens").asLong()).isEqualTo(1000);
        assertThat(total.path("output_tokens").asLong()).isEqualTo(500);
        assertThat(total.path("estimated").asBoolean()).as("the provider reported it").isFalse();
        assertThat(total.path("unpriced").asLong()).isZero();
        assertThat(spent("fake-model") - spentBefore).as("sluice_spend_usd_total{provider=fake,model=fake-model}")
                .isCloseTo(0.007, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void aBudgetIsChargedExactlyWhatTheUsageRecordCostsCachedInputAtItsOwnPriceIncluded() {
        String key = body(web.post().uri("/api/v1/keys").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"budget_usd\":1,\"budget_period\":\"daily\"}")
                .exchange().expectStatus().isCreated()).path("key").asString();
        upstream.enqueue(usage(1000, 500, 400));

        chat("Bearer " + key, "fake").expectStatus().isOk();

        BigDecimal recorded = new BigDecimal(awaitRequests(user, 1).at("/total/cost_usd").asString());
        assertThat(recorded).as("600 × 2.5 + 400 × 1.25 + 500 × 10 micro-USD").isEqualByComparingTo("0.007");
        await().atMost(TIMEOUT).untilAsserted(() -> {
            JsonNode budget = keyBudget("Bearer " + key);
            assertThat(budget.path("reserved_usd").decimalValue()).as("settled").isZero();
            assertThat(budget.path("spent_usd").decimalValue())
                    .as("the usage record's cost, not $0.0075 with the cached tokens at the full input price")
                    .isEqualByComparingTo(recorded);
        });
    }

    @Test
    void anAliasPriceOverridesTheProviders() {
        upstream.enqueue(usage(1000, 500, 0));

        chat(user.bearer(), "discount").expectStatus().isOk();

        assertThat(new BigDecimal(awaitRequests(user, 1).at("/total/cost_usd").asString()))
                .as("1500 tokens at 1 micro-USD").isEqualByComparingTo("0.0015");
    }

    @Test
    void aNativeReplyKeepsItsCostInHistory() {
        upstream.enqueue(usage(1000, 500, 0));

        JsonNode reply = body(web.post().uri("/api/v1/chat").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"model\":\"fake\",\"prompt\":\"Hi\",\"stream\":false}")
                .exchange().expectStatus().isOk());

        String conversation = reply.path("conversation_id").asString();
        await().atMost(TIMEOUT).untilAsserted(() -> {
            JsonNode messages = body(web.get().uri("/api/v1/conversations/" + conversation + "/messages")
                    .header(HttpHeaders.AUTHORIZATION, user.bearer()).exchange().expectStatus().isOk());
            JsonNode answer = messages.at("/items/0");
            assertThat(answer.path("role").asString()).isEqualTo("assistant");
            assertThat(new BigDecimal(answer.path("cost_usd").asString())).as("1000 × 2.5 + 500 × 10 micro-USD")
                    .isEqualByComparingTo("0.0075");
            assertThat(answer.path("cost_estimated").asBoolean()).isFalse();
            assertThat(messages.at("/items/1/cost_usd").isNull()).as("a question costs nothing itself").isTrue();
        });
    }

    @Test
    void aStreamCutBeforeItsUsageIsChargedAtSluicesEstimateMarkedEstimated() {
        upstream.enqueue(Script.tokens(8).dropAfter(3));

        web.post().uri("/v1/chat/completions").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange().expectStatus().isOk().returnResult(String.class).getResponseBody().blockLast(TIMEOUT);

        JsonNode total = awaitRequests(user, 1).path("total");
        assertThat(total.path("estimated").asBoolean()).isTrue();
        assertThat(total.path("input_tokens").asLong()).as("\"Hi\" at four characters a token, rounded up").isEqualTo(1);
        assertThat(total.path("output_tokens").asLong()).as("\"tok0 tok1 tok2 \": 15 characters").isEqualTo(4);
        assertThat(new BigDecimal(total.path("cost_usd").asString())).as("1 × 2.5 + 4 × 10, rounded up")
                .isEqualByComparingTo("0.000043");
    }

    @Test
    void aModelWithoutAPriceIsCountedUnpricedNeverFree() {
        double unpricedBefore = unpriced("unpriced-model");
        upstream.enqueue(usage(1000, 500, 0));

        chat(user.bearer(), "unpriced").expectStatus().isOk();

        JsonNode report = awaitRequests(user, 1);
        assertThat(report.at("/items/0/day").asString()).isEqualTo(TODAY);
        assertThat(report.at("/items/0/cost_usd").isNull()).as("unknown, not 0").isTrue();
        assertThat(report.at("/items/0/unpriced").asLong()).isEqualTo(1);
        assertThat(report.at("/total/cost_usd").isNull()).isTrue();
        assertThat(unpriced("unpriced-model") - unpricedBefore)
                .as("sluice_unpriced_calls_total{provider=fake,model=unpriced-model}").isEqualTo(1);
        assertThat(csv(user.bearer(), "/api/v1/usage?group_by=model")).as("an empty cost in CSV")
                .isEqualTo("model,requests,input_tokens,output_tokens,cost_usd,unpriced,estimated\r\n"
                        + "unpriced,1,1000,500,,1,false\r\n");
    }

    @Test
    void embeddingsCostTheirInputTokens() {
        web.post().uri("/v1/embeddings").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"model\":\"fake\",\"input\":\"three short words\"}")
                .exchange().expectStatus().isOk();

        JsonNode total = awaitRequests(user, 1).path("total");
        long input = total.path("input_tokens").asLong();
        assertThat(input).as("the fake counts words").isEqualTo(3);
        assertThat(new BigDecimal(total.path("cost_usd").asString())).as("3 × 2.5 micro-USD, rounded up")
                .isEqualByComparingTo("0.000008");
        assertThat(total.path("estimated").asBoolean()).isFalse();
    }

    @Test
    void aCacheHitCostsNothingAndStillCountsAsARequest() {
        String cacheable = "{\"model\":\"fake\",\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"Cache me "
                + user.id() + "\"}]}";
        upstream.enqueue(usage(1000, 500, 0));
        double stored = cacheWrites();
        chatBody(user.bearer(), cacheable).expectStatus().isOk();
        // The reply is stored behind the request path: the next request can only hit once it is.
        await().atMost(TIMEOUT).until(() -> cacheWrites() > stored);
        chatBody(user.bearer(), cacheable).expectStatus().isOk().expectHeader().valueEquals("X-Sluice-Cache", "hit");

        JsonNode total = awaitRequests(user, 2).path("total");
        assertThat(new BigDecimal(total.path("cost_usd").asString())).as("only the call that reached the provider")
                .isEqualByComparingTo("0.0075");
    }

    @Test
    void theReportAddsUpToItsCallsByDayModelAndKeyInJsonAndCsv() {
        String key = body(web.post().uri("/api/v1/keys").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("name", "batch, nightly"))
                .exchange().expectStatus().isCreated()).path("key").asString();
        upstream.enqueue(usage(1000, 500, 0));
        upstream.enqueue(usage(2000, 100, 0));
        upstream.enqueue(usage(300, 300, 0));
        chat(user.bearer(), "fake").expectStatus().isOk();
        chat("Bearer " + key, "fake").expectStatus().isOk();
        chat("Bearer " + key, "discount").expectStatus().isOk();
        // 1000 × 2.5 + 500 × 10 = 7500, 2000 × 2.5 + 100 × 10 = 6000, (300 + 300) × 1 = 600 micro-USD
        awaitRequests(user, 3);

        JsonNode byModel = report(user.bearer(), "/api/v1/usage?group_by=model&from=" + TODAY + "&to=" + TODAY);
        assertThat(byModel.path("items")).hasSize(2);
        assertThat(byModel.at("/items/0/model").asString()).isEqualTo("discount");
        assertThat(new BigDecimal(byModel.at("/items/0/cost_usd").asString())).isEqualByComparingTo("0.0006");
        assertThat(byModel.at("/items/1/model").asString()).isEqualTo("fake");
        assertThat(byModel.at("/items/1/requests").asLong()).isEqualTo(2);
        assertThat(new BigDecimal(byModel.at("/items/1/cost_usd").asString())).isEqualByComparingTo("0.0135");
        JsonNode byKey = report(user.bearer(), "/api/v1/usage?group_by=key");
        JsonNode byDay = report(user.bearer(), "/api/v1/usage?group_by=day");
        for (JsonNode report : new JsonNode[] {byModel, byKey, byDay}) {
            assertThat(new BigDecimal(report.at("/total/cost_usd").asString())).isEqualByComparingTo("0.0141");
            assertThat(report.at("/total/requests").asLong()).isEqualTo(3);
            assertThat(report.at("/total/input_tokens").asLong()).isEqualTo(3300);
            assertThat(report.at("/total/output_tokens").asLong()).isEqualTo(900);
        }
        assertThat(byDay.path("items")).hasSize(1);
        assertThat(byKey.path("items")).hasSize(2);
        JsonNode withKey = byKey.at("/items/0/key").isNull() ? byKey.at("/items/1") : byKey.at("/items/0");
        assertThat(withKey.path("key_name").asString()).isEqualTo("batch, nightly");
        assertThat(withKey.path("requests").asLong()).isEqualTo(2);
        assertThat(new BigDecimal(withKey.path("cost_usd").asString())).isEqualByComparingTo("0.0066");

        assertThat(csv(user.bearer(), "/api/v1/usage?group_by=day")).isEqualTo(
                "day,requests,input_tokens,output_tokens,cost_usd,unpriced,estimated\r\n"
                        + TODAY + ",3,3300,900,0.014100,0,false\r\n");
        assertThat(csv(user.bearer(), "/api/v1/usage?group_by=key")).as("a name with a comma is quoted")
                .contains("\"batch, nightly\",2,2300,400,0.006600,0,false\r\n");
    }

    @Test
    void theKeysListSaysWhatEachKeySpentInItsBudgetsPeriod() {
        String monthly = createKey(Map.of("name", "no budget: this month"));
        String daily = createKey(Map.of("name", "daily", "budget_usd", 5, "budget_period", "daily"));
        createKey(Map.of("name", "unused"));
        upstream.enqueue(usage(1000, 500, 0));
        upstream.enqueue(usage(2000, 100, 0));
        upstream.enqueue(usage(300, 300, 0));
        chat("Bearer " + monthly, "fake").expectStatus().isOk();
        chat("Bearer " + daily, "fake").expectStatus().isOk();
        chat("Bearer " + daily, "discount").expectStatus().isOk();
        awaitRequests(user, 3);

        JsonNode keys = body(web.get().uri("/api/v1/keys").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .exchange().expectStatus().isOk()).path("items");
        Map<String, BigDecimal> spent = new java.util.HashMap<>();
        keys.forEach(key -> spent.put(key.path("name").asString(), new BigDecimal(key.path("spent_usd").asString())));
        assertThat(spent.get("no budget: this month")).as("1000 × 2.5 + 500 × 10 micro-USD").isEqualByComparingTo("0.0075");
        assertThat(spent.get("daily")).as("2000 × 2.5 + 100 × 10 + 600 × 1 micro-USD").isEqualByComparingTo("0.0066");
        assertThat(spent.get("unused")).as("nothing spent is 0, not missing").isEqualByComparingTo("0");
    }

    @Test
    void aReportOfMoreItemsThanItsCapIsCutAndSaysSoWhileItsTotalCountsEveryCall() {
        int models = UsageReports.MAX_ITEMS + 1;
        database.sql("""
                        INSERT INTO usage_records (id, user_id, kind, model, provider, provider_model, usage_date,
                            input_tokens, output_tokens, cached_input_tokens, cost_usd, estimated, cache_hit, created_at)
                        SELECT gen_random_uuid(), :user, 'chat', 'model-' || n, 'fake', 'm', CURRENT_DATE, 1, 1, 0,
                            0.000001 * n, false, false, now()
                        FROM generate_series(1, :models) AS n""")
                .bind("user", user.id()).bind("models", models).then().block(TIMEOUT);

        JsonNode report = report(user.bearer(), "/api/v1/usage?group_by=model");

        assertThat(report.path("items")).as("at most the cap").hasSize(UsageReports.MAX_ITEMS);
        assertThat(report.path("truncated").asBoolean()).isTrue();
        assertThat(report.at("/total/requests").asLong()).as("the total is the whole range's").isEqualTo(models);
        assertThat(new BigDecimal(report.at("/total/cost_usd").asString()))
                .as("1 + 2 + … + 1001 micro-USD").isEqualByComparingTo("0.501501");
        assertThat(report(user.bearer(), "/api/v1/usage?group_by=day").path("truncated").asBoolean())
                .as("one day is one item").isFalse();
    }

    private String createKey(Map<String, Object> fields) {
        return body(web.post().uri("/api/v1/keys").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(fields)
                .exchange().expectStatus().isCreated()).path("key").asString();
    }

    @Test
    void anAdminReportsAcrossUsersOrForOneWhileTheDaysQuotaPageStaysAsItWas() {
        TestAccounts.Account admin = TestAccounts.registerOrLogin(baseUrl(), ADMIN_EMAIL);
        TestAccounts.Account other = TestAccounts.register(baseUrl());
        upstream.enqueue(usage(1000, 500, 0));
        upstream.enqueue(usage(2000, 100, 0));
        chat(user.bearer(), "fake").expectStatus().isOk();
        chat(other.bearer(), "fake").expectStatus().isOk();
        awaitRequests(user, 1);
        awaitRequests(other, 1);

        JsonNode byUser = report(admin.bearer(), "/api/v1/admin/usage?group_by=user&from=" + TODAY);
        assertThat(byUser.path("items")).extracting(item -> item.path("email").asString())
                .contains(user.email(), other.email());
        JsonNode one = report(admin.bearer(), "/api/v1/admin/usage?user=" + other.id());
        assertThat(one.at("/total/requests").asLong()).isEqualTo(1);
        assertThat(new BigDecimal(one.at("/total/cost_usd").asString())).isEqualByComparingTo("0.006");
        assertThat(report(admin.bearer(), "/api/v1/admin/usage").path("items").get(0).has("reserved_tokens"))
                .as("without report parameters: the day's quota usage per user, as the console reads it").isTrue();
        web.get().uri("/api/v1/admin/usage?group_by=model").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .exchange().expectStatus().isForbidden();
    }

    @Test
    void badParametersAre400NamingThem() {
        for (String[] bad : new String[][] {{"from=2026-13-01", "from"}, {"to=yesterday", "to"},
                {"from=2026-02-01&to=2026-01-01", "from"}, {"from=2024-01-01&to=2025-06-01", "from"},
                {"group_by=user", "group_by"}, {"group_by=week", "group_by"}}) {
            JsonNode problem = body(web.get().uri("/api/v1/usage?" + bad[0]).header(HttpHeaders.AUTHORIZATION, user.bearer())
                    .exchange().expectStatus().isBadRequest());
            assertThat(problem.path("detail").asString()).as(bad[0]).contains(bad[1]);
        }
        TestAccounts.Account admin = TestAccounts.registerOrLogin(baseUrl(), ADMIN_EMAIL);
        assertThat(body(web.get().uri("/api/v1/admin/usage?user=nobody").header(HttpHeaders.AUTHORIZATION, admin.bearer())
                .exchange().expectStatus().isBadRequest()).path("detail").asString()).contains("user");
    }

    /** A reply of one token whose usage says these counts, as OpenAI reports them (cached tokens among the prompt's). */
    private static Script usage(int prompt, int completion, int cached) {
        String head = "{\"id\":\"chatcmpl-spend\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"fake-model\",\"choices\":[";
        return Script.events(
                head + "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Paid\"},\"finish_reason\":null}]}",
                head + "{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}",
                head + "],\"usage\":{\"prompt_tokens\":" + prompt + ",\"completion_tokens\":" + completion
                        + ",\"total_tokens\":" + (prompt + completion) + ",\"prompt_tokens_details\":{\"cached_tokens\":"
                        + cached + "}}}");
    }

    private WebTestClient.ResponseSpec chat(String authorization, String model) {
        return chatBody(authorization, "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    }

    private WebTestClient.ResponseSpec chatBody(String authorization, String json) {
        return web.post().uri("/v1/chat/completions").header(HttpHeaders.AUTHORIZATION, authorization)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(json).exchange();
    }

    /** The caller's report once the write-behind has stored {@code requests} calls. */
    private JsonNode awaitRequests(TestAccounts.Account account, int requests) {
        await().atMost(TIMEOUT).until(() -> report(account.bearer(), "/api/v1/usage").at("/total/requests").asLong() == requests);
        return report(account.bearer(), "/api/v1/usage");
    }

    private JsonNode report(String authorization, String uri) {
        return body(web.get().uri(uri).header(HttpHeaders.AUTHORIZATION, authorization).exchange().expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON));
    }

    /** The key's budget in {@code GET /api/v1/quota}. */
    private JsonNode keyBudget(String authorization) {
        for (JsonNode budget : report(authorization, "/api/v1/quota").path("budgets")) {
            if (budget.path("scope").asString().equals("key")) {
                return budget;
            }
        }
        throw new AssertionError("no key budget");
    }

    private String csv(String authorization, String uri) {
        return web.get().uri(uri).header(HttpHeaders.AUTHORIZATION, authorization).accept(MediaType.parseMediaType("text/csv"))
                .exchange().expectStatus().isOk().expectHeader().contentTypeCompatibleWith("text/csv")
                .expectBody(String.class).returnResult().getResponseBody();
    }

    private static JsonNode body(WebTestClient.ResponseSpec response) {
        return JSON.readTree(response.expectBody(String.class).returnResult().getResponseBody());
    }

    private double spent(String model) {
        Counter counter = registry.find("sluice.spend.usd").tags("provider", "fake", "model", model).counter();
        return counter == null ? 0 : counter.count();
    }

    private double cacheWrites() {
        Counter counter = registry.find("sluice.cache.writes").tags("outcome", "stored").counter();
        return counter == null ? 0 : counter.count();
    }

    private double unpriced(String model) {
        Counter counter = registry.find("sluice.unpriced.calls").tags("provider", "fake", "model", model).counter();
        return counter == null ? 0 : counter.count();
    }

    private String baseUrl() {
        return "http://127.0.0.1:" + port;
    }
}
