package dev.sluice.gateway.status;

import java.time.Duration;

import dev.sluice.gateway.provider.ProviderRegistry;
import dev.sluice.gateway.testing.IntegrationTest;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/** A key the provider refused stays out of rotation only while the provider refuses it: the probe round finds out. */
class RefusedKeyRecheckIT extends IntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Autowired
    private ProviderStatusMonitor monitor;

    @Autowired
    private MeterRegistry meters;

    @Autowired
    private ProviderRegistry providers;

    /** The tests after this one share its context: a failure here must not leave the fake's key out. */
    @AfterEach
    void restoreRefusedKeys() {
        providers.all().forEach(provider -> provider.keys().refused().forEach(provider.keys()::restore));
    }

    @Test
    void aRefusedKeyReturnsToRotationOnceTheProbeFindsTheProviderTakesItAgain() {
        upstream.refuseKeys(FAKE_KEY);
        chat().expectStatus().isEqualTo(502);
        assertThat(disabledKeys()).as("the 401 took the only key out").isEqualTo(1);

        monitor.probeRound().blockLast(TIMEOUT);
        assertThat(upstream.modelListKeys()).as("the probe asked with the refused key").contains(FAKE_KEY);
        assertThat(disabledKeys()).as("still refused, still out").isEqualTo(1);
        chat().expectStatus().isEqualTo(503);

        upstream.acceptAllKeys();
        monitor.probeRound().blockLast(TIMEOUT);

        assertThat(disabledKeys()).as("taken again, back in rotation").isZero();
        chat().expectStatus().isOk();
    }

    private double disabledKeys() {
        return meters.get("sluice.provider.keys.disabled").tag("provider", "fake").gauge().value();
    }

    private WebTestClient.ResponseSpec chat() {
        return web.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange();
    }
}
