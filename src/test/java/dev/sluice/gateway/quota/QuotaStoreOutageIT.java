package dev.sluice.gateway.quota;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import dev.sluice.bench.Script;
import dev.sluice.gateway.testing.CuttableProxy;
import dev.sluice.gateway.testing.ExternalServices;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * PostgreSQL cut, through a proxy this test controls, while chats go on: the quota fails closed past this replica's
 * small outage allowance, and the settlements of streams that ended during the cut land once it is back, leaving
 * nothing reserved.
 */
@TestPropertySource(properties = {"sluice.quotas.outage-allowance.requests=3", "sluice.quotas.reservation-timeout=1s",
        "sluice.quotas.settlement-backoff=50ms", "sluice.quotas.settlement-max-backoff=300ms"})
@ExtendWith(OutputCaptureExtension.class)
class QuotaStoreOutageIT extends IntegrationTest {

    private static final CuttableProxy proxy = startProxy();
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    /** The gateway's connection pool, through the proxy (see DatabaseOutageIT for why a bean). */
    @TestConfiguration(proxyBeanMethods = false)
    static class ThroughTheProxy {

        @Bean
        ConnectionFactory connectionFactory() {
            return ExternalServices.get().pooledThrough(proxy.port());
        }
    }

    private final DatabaseClient direct = DatabaseClient.create(ConnectionFactories.get(ExternalServices.get().r2dbcUrl()));

    @Autowired
    MeterRegistry meters;

    @Autowired
    Settlements settlements;

    @AfterEach
    void restore() {
        proxy.restore();
    }

    @Test
    void pastTheOutageAllowanceChatsGet503WithRetryAfterAndTheOutageIsMeteredAndLoggedOnce(CapturedOutput output) {
        chat().expectStatus().isOk(); // warm, and the database answers
        double unenforced = meters.counter("sluice.quota.unenforced").count();
        int upstreamBefore = upstream.requests();
        proxy.cut();

        for (int i = 0; i < 3; i++) {
            chat().expectStatus().isOk();
        }
        String refused = chat().expectStatus().isEqualTo(503)
                .expectHeader().exists(HttpHeaders.RETRY_AFTER)
                .expectBody(String.class).returnResult().getResponseBody();
        chat().expectStatus().isEqualTo(503);

        assertThat(refused).as("says why").contains("Quota store unavailable");
        assertThat(upstream.requests() - upstreamBefore).as("only the allowance of 3 went upstream").isEqualTo(3);
        assertThat(meters.counter("sluice.quota.unenforced").count() - unenforced).isEqualTo(3);
        assertThat(meters.counter("sluice.quota.store.refusals").count()).isGreaterThanOrEqualTo(2);
        assertThat(meters.get("sluice.quota.store.unavailable").gauge().value()).isEqualTo(1);
        assertThat(output.getOut().split("Daily quotas cannot be checked", -1)).as("logged once").hasSize(2);

        proxy.restore();

        await().atMost(TIMEOUT).untilAsserted(() -> chat().expectStatus().isOk());
        assertThat(meters.get("sluice.quota.store.unavailable").gauge().value()).as("the outage is over").isZero();
    }

    @Test
    void streamsThatEndWhileTheDatabaseIsCutAreSettledOnceItIsBackAndNothingStaysReserved() {
        TestAccounts.Account user = TestAccounts.register("http://127.0.0.1:" + port);
        upstream.defaultScript(Script.tokens(20).every(Duration.ofMillis(50)));
        List<Long> reported = new CopyOnWriteArrayList<>();
        AtomicInteger started = new AtomicInteger();
        int streams = 5;
        Flux.range(0, streams)
                .flatMap(i -> client().post().uri("/v1/chat/completions").header(HttpHeaders.AUTHORIZATION, user.bearer())
                        .contentType(MediaType.APPLICATION_JSON)
                        .bodyValue("{\"model\":\"fake\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                                + "\"messages\":[{\"role\":\"user\",\"content\":\"Stream " + i + "\"}]}")
                        .retrieve().bodyToFlux(SseEvents.TYPE)
                        .filter(event -> event.data() != null && !"[DONE]".equals(event.data()))
                        .index()
                        .doOnNext(indexed -> {
                            if (indexed.getT1() == 0) {
                                started.incrementAndGet();
                            }
                            if (indexed.getT2().data().contains("\"usage\":{")) {
                                reported.add(SseEvents.json(indexed.getT2()).at("/usage/total_tokens").asLong());
                            }
                        }))
                .subscribe();
        await().atMost(TIMEOUT).until(() -> started.get() == streams);
        assertThat(reserved(user)).as("every stream holds its estimate").isPositive();
        proxy.cut();

        await().atMost(TIMEOUT).until(() -> reported.size() == streams);
        // Longer than the three retries that used to give up: the settlements wait as long as the database is away.
        // (One per stream reserved alone, one per block for those a block served.)
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .until(() -> settlements.pending() > 0);
        assertThat(meters.counter("sluice.quota.settlements.retries").count()).as("tried again meanwhile").isPositive();

        proxy.restore();

        long used = reported.stream().mapToLong(Long::longValue).sum();
        await().atMost(TIMEOUT).untilAsserted(() -> {
            assertThat(reserved(user)).as("nothing stays reserved").isZero();
            assertThat(used(user)).as("the real usage of every stream, each once").isEqualTo(used);
        });
        assertThat(settlements.pending()).isZero();
        assertThat(meters.counter("sluice.quota.settlements.failed", "reason", "error").count()).isZero();
    }

    private WebTestClient.ResponseSpec chat() {
        return web.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange();
    }

    private long reserved(TestAccounts.Account user) {
        return column(user, "reserved_tokens");
    }

    private long used(TestAccounts.Account user) {
        return column(user, "tokens");
    }

    private long column(TestAccounts.Account user, String column) {
        return direct.sql("SELECT " + column + " AS n FROM quota_usage WHERE user_id = :user AND usage_date = :day")
                .bind("user", user.id())
                .bind("day", LocalDate.now(ZoneOffset.UTC))
                .map((row, metadata) -> ((Number) row.get("n")).longValue())
                .one()
                .block(Duration.ofSeconds(5));
    }

    private static CuttableProxy startProxy() {
        URI direct = URI.create(ExternalServices.get().postgresUrl());
        try {
            return new CuttableProxy(direct.getHost(), direct.getPort());
        }
        catch (IOException failed) {
            throw new UncheckedIOException(failed);
        }
    }
}
