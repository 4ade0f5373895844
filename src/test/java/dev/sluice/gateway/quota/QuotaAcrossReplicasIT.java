package dev.sluice.gateway.quota;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.sluice.bench.FakeUpstream;
import dev.sluice.bench.Script;
import dev.sluice.gateway.SluiceApplication;
import dev.sluice.gateway.testing.ExternalServices;
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

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Two replicas sharing PostgreSQL and Redis let one user through exactly the daily quota, however requests interleave. */
class QuotaAcrossReplicasIT {

    private static final int DAILY_REQUESTS = 25;
    private static final int ATTEMPTS = 120;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String ADMIN = "quota-replicas-admin@admins.example";

    private final FakeUpstream upstream = FakeUpstream.start(0, Script.tokens(4).firstTokenAfter(Duration.ofMillis(5)));
    private final ExternalServices services = ExternalServices.get();
    private final List<ConfigurableApplicationContext> replicas = new ArrayList<>();

    @AfterEach
    void stop() {
        replicas.forEach(ConfigurableApplicationContext::close);
        upstream.close();
    }

    @Test
    void manyParallelRequestsForOneUserOverTwoReplicasStopExactlyAtTheDailyLimit() {
        burstOverTwoReplicas(DAILY_REQUESTS, ATTEMPTS);
    }

    /** A limit large enough for the replicas to take blocks of it, then one by one near the end: still exact. */
    @Test
    void withBlocksOfTheQuotaOnEachReplicaTheLimitStaysExact() {
        burstOverTwoReplicas(400, 700);
    }

    /** An admin lowers the limit on one replica: the other's blocks, taken under the old one, go back at once. */
    @Test
    void aNewLimitSetOnOneReplicaStopsTheOtherAtItToo() {
        // Blocks that would go back by themselves only long after this test's wait: idle 30 s, term 60 s.
        String[] slowBlocks = {"--sluice.quotas.blocks.idle=30s", "--sluice.quotas.blocks.term=60s"};
        List<String> urls = List.of(baseUrl(replica(1_000, slowBlocks)), baseUrl(replica(1_000, slowBlocks)));
        TestAccounts.Account user = TestAccounts.register(urls.get(0));
        warmUp(urls.get(1), user);
        for (int i = 0; i < 20; i++) {
            assertThat(chat(urls.get(1), user).block(TIMEOUT)).isEqualTo(200);
        }
        TestAccounts.Account admin = TestAccounts.registerOrLogin(urls.get(0), ADMIN);

        WebClient.create(urls.get(0)).put().uri("/api/v1/admin/users/" + user.id() + "/quota")
                .header(HttpHeaders.AUTHORIZATION, admin.bearer()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"daily_requests\":25,\"daily_tokens\":500000}").retrieve().toBodilessEntity().block(TIMEOUT);

        // The replica that got the change holds no block: it shows the database's count, which drops to what was
        // spent once the other replica's block has gone back.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(WebClient.create(urls.get(0)).get().uri("/api/v1/quota")
                .header(HttpHeaders.AUTHORIZATION, user.bearer()).retrieve().bodyToMono(String.class).block(TIMEOUT))
                .contains("\"used\":20,"));
        List<Integer> statuses = Flux.range(0, 10).concatMap(i -> chat(urls.get(1), user)).collectList().block(TIMEOUT);
        assertThat(statuses).as("the 5 left under the new limit, then refusals").containsExactly(
                200, 200, 200, 200, 200, 429, 429, 429, 429, 429);
    }

    /** A replica stopped gracefully gives back what its blocks held and did not spend, before its connections go. */
    @Test
    void aReplicaThatStopsGivesItsBlocksBack() {
        String[] slowBlocks = {"--sluice.quotas.blocks.idle=30s", "--sluice.quotas.blocks.term=60s"};
        // Rate limits off on the replica that stops: Lettuce's close can spin for good on a command that was still being
        // written (lettuce#3880), and the limits' background syncs are the Redis commands a chat leaves in flight.
        ConfigurableApplicationContext leaving = replica(1_000, slowBlocks[0], slowBlocks[1], "--sluice.limits.enabled=false");
        String staying = baseUrl(replica(1_000, slowBlocks));
        TestAccounts.Account user = TestAccounts.register(staying);
        warmUp(baseUrl(leaving), user);
        for (int i = 0; i < 20; i++) {
            assertThat(chat(baseUrl(leaving), user).block(TIMEOUT)).isEqualTo(200);
        }
        assertThat(quota(staying, user)).as("the database counts the leaving replica's block, more than it spent")
                .doesNotContain("\"used\":20,");

        leaving.close();

        // Replicas in one JVM share Reactor Netty's event loops, which the first to stop takes down with it: a fresh
        // replica (fresh loops) reads the database's count.
        assertThat(quota(baseUrl(replica(1_000, slowBlocks)), user)).as("the block went back as the replica stopped")
                .contains("\"used\":20,");
    }

    private static String quota(String baseUrl, TestAccounts.Account user) {
        return WebClient.create(baseUrl).get().uri("/api/v1/quota").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .retrieve().bodyToMono(String.class).block(TIMEOUT);
    }

    private void burstOverTwoReplicas(int dailyRequests, int attempts) {
        List<String> urls = List.of(baseUrl(replica(dailyRequests)), baseUrl(replica(dailyRequests)));
        TestAccounts.Account user = TestAccounts.register(urls.get(0));
        urls.forEach(url -> warmUp(url, user));

        List<Integer> statuses = Flux.range(0, attempts)
                .flatMap(i -> chat(urls.get(i % 2), user), 40)
                .collectList()
                .block(TIMEOUT);

        assertThat(statuses).as("served or refused by the quota, nothing else").containsOnly(200, 429);
        assertThat(statuses).as("exactly the quota succeeds, on both replicas together")
                .filteredOn(status -> status == 200).hasSize(dailyRequests);
        assertThat(statuses).as("every other request is refused by the quota")
                .filteredOn(status -> status == 429).hasSize(attempts - dailyRequests);
        assertThat(upstream.requests()).as("refused requests never reach the upstream").isEqualTo(dailyRequests);
        String quota = WebClient.create(urls.get(1)).get().uri("/api/v1/quota").header(HttpHeaders.AUTHORIZATION, user.bearer())
                .retrieve().bodyToMono(String.class).block(TIMEOUT);
        assertThat(quota).as("both replicas read the same count").contains("\"used\":" + dailyRequests + ",");
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

    /** The status of one chat, with a 429's body checked to be the quota's and not another limit's. */
    private static Mono<Integer> chat(String baseUrl, TestAccounts.Account user) {
        return WebClient.create(baseUrl).post().uri("/v1/chat/completions")
                .header(HttpHeaders.AUTHORIZATION, user.bearer())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"shared\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchangeToMono(response -> response.bodyToMono(String.class).defaultIfEmpty("").map(body -> {
                    int status = response.statusCode().value();
                    return status == 429 && !body.contains("Daily request quota") ? -429 : status;
                }));
    }

    private ConfigurableApplicationContext replica(int dailyRequests, String... more) {
        List<String> args = new ArrayList<>(List.of(
                "--server.port=0",
                "--sluice.providers.quota-replicas.type=openai",
                "--sluice.providers.quota-replicas.base-url=" + upstream.baseUrl(),
                "--sluice.providers.quota-replicas.api-keys=key-a",
                "--sluice.providers.quota-replicas.max-concurrency=200",
                "--sluice.aliases.shared.targets=quota-replicas/m",
                // Both replicas must accept the tokens either one issues.
                "--sluice.auth.jwt-secret=quota-replicas-test-secret-of-32-bytes-or-more",
                "--sluice.quotas.daily-requests=" + dailyRequests,
                "--sluice.auth.bootstrap-admin.email=" + ADMIN,
                "--sluice.auth.bootstrap-admin.password=" + TestAccounts.PASSWORD,
                // 120 requests queue on one row: on a loaded machine some wait past the default timeout, and would
                // then take the outage allowance, which is not what this test is about (see QuotaStoreOutageIT).
                "--sluice.quotas.reservation-timeout=60s",
                // Only the daily quota may refuse requests here.
                "--sluice.limits.per-ip.requests-per-minute=100000",
                "--sluice.limits.per-user.requests-per-minute=100000",
                // 40 in flight alternate between the replicas but end in any order: one replica may have more
                // than the default 20 streams of this user at once.
                "--sluice.limits.per-user.max-concurrent-streams=100"));
        args.addAll(List.of(more));
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
