package dev.sluice.gateway.ratelimit;

import java.time.Duration;
import java.util.List;

import dev.sluice.gateway.config.InvalidConfigurationException;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RateLimitPropertiesTests {

    private final ApplicationContextRunner contexts = new ApplicationContextRunner().withUserConfiguration(Bound.class);

    @EnableConfigurationProperties(RateLimitProperties.class)
    static class Bound {
    }

    @Test
    void theDefaultsAre120PerIp60PerUser20StreamsAndTheLocalProxy() {
        RateLimitProperties defaults = RateLimitProperties.defaults();

        assertThat(defaults.requestsPerMinute(LimitScope.PER_IP)).isEqualTo(120);
        assertThat(defaults.requestsPerMinute(LimitScope.PER_USER)).isEqualTo(60);
        assertThat(defaults.trustedProxies()).containsExactly("127.0.0.1/32");
        assertThat(defaults.perUser().maxConcurrentStreams()).isEqualTo(20);
        assertThat(defaults.redisTimeout()).as("a busy Redis is waited for a while").isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void aTrustedProxyThatIsNotAnAddressStopsTheGatewayAtStartup() {
        assertThatThrownBy(() -> new RateLimitProperties(null, null, null, List.of("10.0.0.0/8", "nginx"), null, true))
                .isInstanceOf(InvalidConfigurationException.class)
                .as("names the property and the bad entry")
                .hasMessageStartingWith("sluice.limits.trusted-proxies: 'nginx' is not an IP address or CIDR block");
    }

    @Test
    void boundFromConfigurationWithNestedDefaults() {
        contexts.withPropertyValues("sluice.limits.per-user.requests-per-minute=20", "sluice.limits.trusted-proxies=10.0.0.0/8,fd00::/8")
                .run(context -> {
                    RateLimitProperties properties = context.getBean(RateLimitProperties.class);
                    assertThat(properties.requestsPerMinute(LimitScope.PER_USER)).isEqualTo(20);
                    assertThat(properties.requestsPerMinute(LimitScope.PER_IP)).as("default kept").isEqualTo(120);
                    assertThat(properties.trustedProxies()).containsExactly("10.0.0.0/8", "fd00::/8");
                });
    }

    @Test
    void aLimitBelowOneIsRefusedAtStartup() {
        contexts.withPropertyValues("sluice.limits.per-ip.requests-per-minute=0")
                .run(context -> assertThat(context).hasFailed()
                        .getFailure().rootCause().hasMessageContaining("requestsPerMinute"));
    }

    @Test
    void aRedisTimeoutOfNothingIsRefused() {
        assertThatThrownBy(() -> new RateLimitProperties(null, null, null, null, Duration.ZERO, true))
                .hasMessageStartingWith("sluice.limits.redis-timeout");
    }

    @Test
    void anEmptyListTrustsNoProxy() {
        assertThat(new RateLimitProperties(null, null, null, List.of(), null, true).trustedProxyNetworks()).isEmpty();
    }
}
