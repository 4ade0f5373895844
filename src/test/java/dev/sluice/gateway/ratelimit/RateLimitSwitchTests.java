package dev.sluice.gateway.ratelimit;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code sluice.limits.enabled} decides whether requests are limited at all. */
class RateLimitSwitchTests {

    private final ApplicationContextRunner context = new ApplicationContextRunner()
            .withUserConfiguration(RateLimitConfiguration.class, Properties.class)
            .withBean(SimpleMeterRegistry.class);

    @Test
    void requestsAreLimitedByDefault() {
        context.run(started -> assertThat(started).hasSingleBean(RateLimitFilter.class));
    }

    @Test
    void switchedOffNoRequestIsLimited() {
        context.withPropertyValues("sluice.limits.enabled=false")
                .run(started -> assertThat(started).doesNotHaveBean(RateLimitFilter.class).doesNotHaveBean(Buckets.class));
    }

    @EnableConfigurationProperties(RateLimitProperties.class)
    static class Properties {
    }
}
