package dev.sluice.gateway.quota;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code sluice.quotas.*}: the documented defaults, and limits that make no sense stop the gateway at startup. */
class QuotaPropertiesTests {

    private final ApplicationContextRunner context = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
            .withUserConfiguration(WithQuotaProperties.class);

    @Test
    void withoutSettingsAUserGets500RequestsAndHalfAMillionTokensADay() {
        context.run(started -> {
            QuotaProperties properties = started.getBean(QuotaProperties.class);
            assertThat(properties.dailyRequests()).isEqualTo(500);
            assertThat(properties.dailyTokens()).isEqualTo(500_000);
            assertThat(properties.replyAllowance()).as("held for a reply without max_tokens").isEqualTo(1_000);
            assertThat(properties.enabled()).as("quotas are on unless switched off").isTrue();
        });
    }

    @Test
    void withoutSettingsAnOutageLets20RequestsAnd20000TokensThroughAReplicaAndAReservationWaitsAtMost5Seconds() {
        context.run(started -> {
            QuotaProperties properties = started.getBean(QuotaProperties.class);
            assertThat(properties.outageAllowance()).isEqualTo(new QuotaProperties.OutageAllowance(20, 20_000));
            assertThat(properties.reservationTimeout()).isEqualTo(java.time.Duration.ofSeconds(5));
            assertThat(properties.settlementBackoff()).isEqualTo(java.time.Duration.ofMillis(100));
            assertThat(properties.settlementMaxBackoff()).isEqualTo(java.time.Duration.ofSeconds(5));
        });
    }

    @Test
    void aReplyAllowanceOfZeroIsRefusedSinceItIsSentUpstreamAsMaxTokens() {
        context.withPropertyValues("sluice.quotas.reply-allowance=0").run(started -> assertThat(started)
                .getFailure().rootCause().hasMessageContaining("replyAllowance"));
    }

    @Test
    void quotasCanBeSwitchedOff() {
        context.withPropertyValues("sluice.quotas.enabled=false").run(started ->
                assertThat(started.getBean(QuotaProperties.class).enabled()).isFalse());
    }

    @Test
    void aNegativeLimitIsRefusedNamingTheProperty() {
        context.withPropertyValues("sluice.quotas.daily-tokens=-1").run(started -> assertThat(started)
                .getFailure().rootCause().hasMessageContaining("sluice.quotas").hasMessageContaining("dailyTokens"));
    }

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(QuotaProperties.class)
    static class WithQuotaProperties {
    }
}
