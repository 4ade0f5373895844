package dev.sluice.gateway.auth.apikey;

import java.time.Instant;

import dev.sluice.gateway.web.GatewayException;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a key body sets: absent fields nothing, null ones cleared, bad ones a 400 naming them. */
class KeyFieldsTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");

    @Test
    void absentFieldsAreNotSetAndNullOnesAreCleared() {
        KeyFields fields = read("{\"models\":null,\"requests_per_minute\":5}");

        assertThat(fields.columns()).containsOnlyKeys("models", "requests_per_minute");
        assertThat(fields.columns().get("models").value()).as("cleared: any model").isNull();
        assertThat(fields.columns().get("requests_per_minute").value()).isEqualTo(5);
    }

    @Test
    void modelsAreStoredOnceEachAndReadBackInOrder() {
        Object stored = read("{\"models\":[\"fast\",\"groq/llama-3.1-8b-instant\",\"fast\"]}").columns().get("models").value();

        assertThat(stored).isEqualTo("fast groq/llama-3.1-8b-instant");
        assertThat(KeyFields.models((String) stored)).containsExactly("fast", "groq/llama-3.1-8b-instant");
    }

    @Test
    void aBudgetOfNullClearsItsPeriodTooAndAnExpiryIsKeptInUtc() {
        assertThat(read("{\"budget_usd\":null}").columns()).containsOnlyKeys("budget_usd", "budget_period");
        assertThat(read("{\"budget_usd\":null}").columns().get("budget_period").value()).isNull();
        assertThat(read("{\"expires_at\":\"2027-01-01T02:00:00+02:00\"}").columns().get("expires_at").value())
                .hasToString("2027-01-01T00:00Z");
    }

    @Test
    void aNameOfNullIsTheDefaultNameSinceAKeyAlwaysHasOne() {
        assertThat(read("{\"name\":null}").columns().get("name").value()).isEqualTo("default");
    }

    @Test
    void anExpiryInThePastOrWithoutAnOffsetIsRefused() {
        assertThatThrownBy(() -> read("{\"expires_at\":\"2026-12-01T00:00:00Z\"}")).isInstanceOf(GatewayException.class)
                .hasMessageStartingWith("expires_at: must be in the future");
        assertThatThrownBy(() -> read("{\"expires_at\":\"2027-01-01T00:00:00\"}")).isInstanceOf(GatewayException.class)
                .hasMessageStartingWith("expires_at: must be an RFC 3339");
    }

    private static KeyFields read(String body) {
        return KeyFields.read(JSON.readTree(body), NOW);
    }
}
