package dev.sluice.gateway.ratelimit;

import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Shared budgets in Redis with a local fallback when {@code spring.data.redis.url} is set; local budgets otherwise.
 * Nothing at all with {@code sluice.limits.enabled=false}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty(name = "sluice.limits.enabled", matchIfMissing = true)
class RateLimitConfiguration {

    @Bean
    Buckets rateLimitBuckets(RateLimitProperties properties, ObjectProvider<RedisBucketConnection> redis,
            MeterRegistry registry) {
        LocalBuckets local = new LocalBuckets(properties);
        RedisBucketConnection connection = redis.getIfAvailable();
        return connection == null ? local : new FallbackBuckets(new RedisBuckets(connection, properties), local, registry,
                properties.redisTimeout());
    }

    @Bean
    BucketSweeper rateLimitBucketSweeper(Buckets rateLimitBuckets) {
        return new BucketSweeper(rateLimitBuckets);
    }

    @Bean
    RateLimitFilter rateLimitFilter(RateLimitProperties properties, Buckets rateLimitBuckets, MeterRegistry registry) {
        return new RateLimitFilter(properties, rateLimitBuckets, registry);
    }

    @Bean
    UserLimitFilter userLimitFilter(RateLimitProperties properties, Buckets rateLimitBuckets, MeterRegistry registry) {
        return new UserLimitFilter(properties, rateLimitBuckets, registry);
    }
}
