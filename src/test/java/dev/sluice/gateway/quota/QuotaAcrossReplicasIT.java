package dev.sluice.gateway.quota;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.sluice.bench.FakeUpstream;
import dev.sluice.bench.Script;
import dev.sluice.gateway.SluiceApplication;
import dev.sluice.gateway.testing.CuttableProxy;
import dev.sluice.gateway.testing.ExternalServices;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two replicas sharing PostgreSQL and Redis, each taking a user's quota in blocks of its own: together they let the
 * user through exactly the daily quota, however requests interleave, at a few statements for many requests; what one
 * did not use the other gets once it goes idle; a crashed one's block is never handed out twice; and an admin's new
 * limit reaches both at once.
 */
class QuotaAcrossReplicasIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** Hundreds of chats on a machine that other builds load: tens a second at worst. */
    private static final Duration BURST_TIMEOUT = Duration.ofSeconds(180);
    private static final String ADMIN_EMAIL = "quota-replicas-admin@admins.example";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final FakeUpstream upstream = FakeUpstream.start(0, Script.tokens(4).firstTokenAfter(Duration.ofMillis(5)));
    private final ExternalServices services = ExternalServices.get();
    private final DatabaseClient direct = DatabaseClient.create(ConnectionFactories.get(services.r2dbcUrl()));
    private final List<ConfigurableApplicationContext> replicas = new ArrayList<>();
    /** The 429s that were not the quota's, with their bodies: none is expected. */
    private final java.util.Set<String> otherRefusals = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @AfterEach
    void stop() {
        replicas.forEach(ConfigurableApplicationContext::close);
        upstream.close();
    }

    @Test
    void manyParallelRequestsForOneUserOverTwoReplicasStopExactlyAtTheDailyLimit() {
        int limit = 25;
        int attempts = 120;
        List<String> urls = List.of(baseUrl(replica("--sluice.quotas.daily-requests=" + limit)),
                baseUrl(replica("--sluice.quotas.daily-requests=" + limit)));
        TestAccounts.Account user = TestAccounts.register(urls.get(0));
        urls.forEach(url -> warmUp(url, user));

        List<Integer> statuses = burst(urls, user, attempts, 40);

        assertThat(statuses).as("served or refused by the quota, nothing else; other 429s: " + otherRefusals)
                .containsOnly(200, 429);
        assertThat(statuses).as("exactly the quota succeeds, on both replicas together")
                .filteredOn(status -> status == 200).hasSize(limit);
        assertThat(statuses).as("every other request is refused by the quota")
                .filteredOn(status -> status == 429).hasSize(attempts - limit);
        assertThat(upstream.requests()).as("refused requests never reach the upstream").isEqualTo(limit);
        assertThat(quota(urls.get(1), user).at("/requests/used").asLong()).as("both replicas read the same count")
                .isEqualTo(limit);
    }

    @Test
    void aBusyUsersChatsCostAStatementForDozensOfThemOverBothReplicas() {
        int chats = 600;
        // Rate limits off: on a loaded machine Redis answers a burst of this size slower than their timeout.
        String[] plenty = {"--sluice.quotas.daily-requests=1000000", "--sluice.quotas.daily-tokens=1000000000",
                "--sluice.limits.enabled=false"};
        List<ConfigurableApplicationContext> both = List.of(replica(plenty), replica(plenty));
        List<String> urls = both.stream().map(QuotaAcrossReplicasIT::baseUrl).toList();
        TestAccounts.Account user = TestAccounts.register(urls.get(0));
        urls.forEach(url -> warmUp(url, user));
        double before = statements(both);

        assertThat(burst(urls, user, chats, 64)).as("other 429s: " + otherRefusals).containsOnly(200);

        double used = statements(both) - before;
        assertThat(used).as("statements for " + chats + " chats (without leases: two a chat); by kind, since start: "
                + statementsByKind(both)).isLessThan(chats / 10.0);
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(row(user.id()))
                .as("once both went idle, every chat is counted, and nothing is held").containsExactly((long) chats, 0L));
        assertThat(quota(urls.get(0), user).at("/tokens/used").asLong()).as("the real usage of each").isPositive();
    }

    @Test
    void whatOneReplicaDidNotUseGoesBackOnceItIsIdleAndTheOtherOneUsesIt() {
        int limit = 100;
        // The first holds its blocks for 3 s of idleness, long enough to see them held.
        String first = baseUrl(replica("--sluice.quotas.daily-requests=" + limit, "--sluice.quotas.leases.idle=3s"));
        String second = baseUrl(replica("--sluice.quotas.daily-requests=" + limit));
        TestAccounts.Account user = TestAccounts.register(first);
        warmUp(first, user);
        warmUp(second, user);

        // One after the other: blocks of 1, 2, 4 and 8 requests, of which 5 are left.
        assertThat(burst(List.of(first), user, 10, 1)).containsOnly(200);
        assertThat(row(user.id())[0]).as("the first replica holds 5 requests it has not used").isEqualTo(15);
        assertThat(quota(second, user).at("/requests/remaining").asLong()).as("not the second's to use").isEqualTo(85);

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(row(user.id())[0]).as("given back when idle").isEqualTo(10));
        List<Integer> statuses = burst(List.of(second), user, 100, 10);

        assertThat(statuses).as("the second gets all the rest, the first's leftovers included; other 429s: " + otherRefusals)
                .filteredOn(status -> status == 200).hasSize(limit - 10);
    }

    @Test
    void aCrashedReplicasBlockStaysCountedNeverHandedOutTwiceAndIsReportedAsUsedOnceItExpires() throws IOException {
        int limit = 100;
        URI postgres = URI.create(services.postgresUrl());
        try (CuttableProxy proxy = new CuttableProxy(postgres.getHost(), postgres.getPort())) {
            ThroughProxy.port = proxy.port();
            // Its database through a proxy the test cuts for good, so that it never writes back what it holds: to the
            // database and the other replica, it crashed. (Closing a context here would stop the other one too: they
            // share Reactor Netty's event loops.)
            String crashing = baseUrl(replica(List.of(SluiceApplication.class, ThroughProxy.class),
                    "--sluice.quotas.daily-requests=" + limit, "--sluice.quotas.leases.idle=1h"));
            String survivor = baseUrl(replica("--sluice.quotas.daily-requests=" + limit, "--sluice.quotas.leases.term=1s"));
            TestAccounts.Account user = TestAccounts.register(survivor);
            warmUp(crashing, user);

            assertThat(burst(List.of(crashing), user, 10, 1)).containsOnly(200);
            proxy.cut();
            long[] taken = row(user.id());
            assertThat(taken[0]).as("the crashed replica holds 5 requests it has not used").isEqualTo(15);

            List<Integer> statuses = burst(List.of(survivor), user, 100, 10);

            assertThat(statuses).as("what the crashed replica took is never handed out again; other 429s: "
                    + otherRefusals).filteredOn(status -> status == 200).hasSize(limit - 15);
            await().atMost(TIMEOUT).untilAsserted(() -> {
                JsonNode quota = quota(survivor, user);
                assertThat(quota.at("/tokens/reserved").asLong())
                        .as("three terms (15 s) after its last write, nothing is held for the crashed replica").isZero();
                assertThat(quota.at("/tokens/used").asLong()).as("what it held counts as used")
                        .isGreaterThanOrEqualTo(taken[1]);
            });
        }
    }

    @Test
    void anAdminsNewLimitReachesTheOtherReplicaAtOnce() {
        // Neither idleness nor the term gives a block back within this test: only the change can.
        String[] slow = {"--sluice.quotas.leases.idle=1h", "--sluice.quotas.leases.term=1h",
                "--sluice.auth.bootstrap-admin.email=" + ADMIN_EMAIL,
                "--sluice.auth.bootstrap-admin.password=" + TestAccounts.PASSWORD};
        String serving = baseUrl(replica(slow));
        String administering = baseUrl(replica(slow));
        TestAccounts.Account user = TestAccounts.register(serving);
        TestAccounts.Account admin = TestAccounts.registerOrLogin(administering, ADMIN_EMAIL);
        warmUp(serving, user);
        assertThat(burst(List.of(serving), user, 10, 1)).containsOnly(200);
        assertThat(row(user.id())[0]).as("the serving replica holds 5 requests it has not used").isEqualTo(15);

        WebClient.create(administering).put().uri("/api/v1/admin/users/{id}/quota", user.id())
                .header(HttpHeaders.AUTHORIZATION, admin.bearer()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"daily_requests\":10,\"daily_tokens\":null}")
                .retrieve().toBodilessEntity().block(TIMEOUT);

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(row(user.id())[0])
                .as("the serving replica gave its block back").isEqualTo(10));
        assertThat(burst(List.of(serving), user, 5, 5)).as("and serves nothing more from it").containsOnly(429);
    }

    /**
     * One request of each kind the burst makes, none of them counted: a cold replica's first concurrent requests
     * contend for Jackson's caches, a wait BlockHound reports as blocking, and a token whose check fails that way
     * would run as the anonymous user.
     */
    private static void warmUp(String baseUrl, TestAccounts.Account user) {
        WebClient client = WebClient.create(baseUrl);
        client.get().uri("/api/v1/quota").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .retrieve().toBodilessEntity().block(TIMEOUT);
        // An unknown model is refused before the quota is charged.
        client.post().uri("/v1/chat/completions").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchangeToMono(response -> response.releaseBody()).block(TIMEOUT);
    }

    /** The statuses of {@code attempts} chats, {@code concurrency} at a time, spread over the replicas in turn. */
    private List<Integer> burst(List<String> urls, TestAccounts.Account user, int attempts, int concurrency) {
        return Flux.range(0, attempts)
                .flatMap(i -> chat(urls.get(i % urls.size()), user), concurrency)
                .collectList()
                .block(BURST_TIMEOUT);
    }

    /** The status of one chat, with a 429's body checked to be the quota's and not another limit's. */
    private Mono<Integer> chat(String baseUrl, TestAccounts.Account user) {
        return WebClient.create(baseUrl).post().uri("/v1/chat/completions")
                .header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"shared\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchangeToMono(response -> response.bodyToMono(String.class).defaultIfEmpty("").map(body -> {
                    int status = response.statusCode().value();
                    if (status == 429 && !body.contains("Daily request quota")) {
                        otherRefusals.add(body);
                        return -429;
                    }
                    return status;
                }));
    }

    private static JsonNode quota(String baseUrl, TestAccounts.Account user) {
        return JSON.readTree(WebClient.create(baseUrl).get().uri("/api/v1/quota")
                .header(HttpHeaders.AUTHORIZATION, user.bearer()).retrieve().bodyToMono(String.class).block(TIMEOUT));
    }

    /** Today's row as the database holds it: requests (let through and held) and tokens held. */
    private long[] row(UUID user) {
        return direct.sql("SELECT requests, reserved_tokens FROM quota_usage WHERE user_id = :user AND usage_date = :day")
                .bind("user", user)
                .bind("day", LocalDate.now(ZoneOffset.UTC))
                .map(row -> new long[] {((Number) row.get("requests")).longValue(), ((Number) row.get("reserved_tokens")).longValue()})
                .one()
                .block(TIMEOUT);
    }

    private static double statements(List<ConfigurableApplicationContext> replicas) {
        return replicas.stream().mapToDouble(replica -> replica.getBean(MeterRegistry.class).find("sluice.quota.statements")
                .counters().stream().mapToDouble(counter -> counter.count()).sum()).sum();
    }

    private static Map<String, Double> statementsByKind(List<ConfigurableApplicationContext> replicas) {
        Map<String, Double> kinds = new java.util.TreeMap<>();
        for (ConfigurableApplicationContext replica : replicas) {
            replica.getBean(MeterRegistry.class).find("sluice.quota.statements").counters()
                    .forEach(counter -> kinds.merge(counter.getId().getTag("statement"), counter.count(), Double::sum));
        }
        return kinds;
    }

    private ConfigurableApplicationContext replica(String... extra) {
        return replica(List.of(SluiceApplication.class), extra);
    }

    private ConfigurableApplicationContext replica(List<Class<?>> sources, String... extra) {
        List<String> args = new ArrayList<>(List.of(
                "--server.port=0",
                "--sluice.providers.quota-replicas.type=openai",
                "--sluice.providers.quota-replicas.base-url=" + upstream.baseUrl(),
                "--sluice.providers.quota-replicas.api-keys=key-a",
                "--sluice.providers.quota-replicas.max-concurrency=200",
                "--sluice.aliases.shared.targets=quota-replicas/m",
                // Both replicas must accept the tokens either one issues.
                "--sluice.auth.jwt-secret=quota-replicas-test-secret-of-32-bytes-or-more",
                // Many requests queue on one row: on a loaded machine some wait past the default timeout, and would
                // then take the outage allowance, which is not what this test is about (see QuotaStoreOutageIT).
                "--sluice.quotas.reservation-timeout=60s",
                // Only the daily quota may refuse requests here.
                "--sluice.limits.per-ip.requests-per-minute=100000",
                "--sluice.limits.per-user.requests-per-minute=100000",
                "--sluice.limits.per-user.max-concurrent-streams=100000"));
        for (Map.Entry<String, Object> property : services.springProperties().entrySet()) {
            args.add("--" + property.getKey() + "=" + property.getValue());
        }
        args.addAll(Arrays.asList(extra));
        ConfigurableApplicationContext context = new SpringApplicationBuilder(sources.toArray(Class<?>[]::new))
                .run(args.toArray(String[]::new));
        replicas.add(context);
        return context;
    }

    private static String baseUrl(ConfigurableApplicationContext replica) {
        return "http://127.0.0.1:" + ((WebServerApplicationContext) replica).getWebServer().getPort();
    }

    /** A replica's connection pool through the test's proxy (see QuotaStoreOutageIT for why a bean). */
    @Configuration(proxyBeanMethods = false)
    static class ThroughProxy {

        static volatile int port;

        @Bean
        ConnectionFactory connectionFactory() {
            return ExternalServices.get().pooledThrough(port);
        }
    }
}
