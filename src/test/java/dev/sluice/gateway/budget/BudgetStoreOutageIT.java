package dev.sluice.gateway.budget;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;

import dev.sluice.gateway.testing.CuttableProxy;
import dev.sluice.gateway.testing.ExternalServices;
import dev.sluice.gateway.testing.IntegrationTest;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.spi.ConnectionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * PostgreSQL cut, through a proxy this test controls, while calls with a budget go on: the quota lets them through on
 * its own allowance, and the budget on its: worst cases of $10 each (the reply allowance at a cent a token) against
 * $25, so two calls, then 503 until the database answers.
 */
@TestPropertySource(properties = {"sluice.budgets.per-user.daily-usd=1000", "sluice.budgets.outage-allowance-usd=25",
        "sluice.budgets.reservation-timeout=1s", "sluice.quotas.reservation-timeout=1s",
        "sluice.providers.fake.prices.fake-model.input=0", "sluice.providers.fake.prices.fake-model.output=10000"})
class BudgetStoreOutageIT extends IntegrationTest {

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

    @Autowired
    MeterRegistry meters;

    @AfterEach
    void restore() {
        proxy.restore();
    }

    @Test
    void pastTheOutageAllowanceCallsWithABudgetGet503AndTheOutageIsMetered() {
        chat().expectStatus().isOk(); // warm, and the database answers
        double unenforced = meters.counter("sluice.budget.unenforced").count();
        int upstreamBefore = upstream.requests();
        proxy.cut();

        chat().expectStatus().isOk();
        chat().expectStatus().isOk();
        String refused = chat().expectStatus().isEqualTo(503)
                .expectHeader().exists(HttpHeaders.RETRY_AFTER)
                .expectBody(String.class).returnResult().getResponseBody();

        assertThat(refused).as("says why").contains("Budget store unavailable");
        assertThat(upstream.requests() - upstreamBefore).as("only the budget's allowance went upstream").isEqualTo(2);
        assertThat(meters.counter("sluice.budget.unenforced").count() - unenforced).isEqualTo(2);
        assertThat(meters.get("sluice.budget.store.unavailable").gauge().value()).isEqualTo(1);

        proxy.restore();

        await().atMost(TIMEOUT).untilAsserted(() -> chat().expectStatus().isOk());
        assertThat(meters.get("sluice.budget.store.unavailable").gauge().value()).as("the outage is over").isZero();
    }

    private WebTestClient.ResponseSpec chat() {
        return web.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange();
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
