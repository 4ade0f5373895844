package dev.sluice.gateway.cache;

import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/** The response cache in Redis when {@code spring.data.redis.url} is set, in this replica's memory otherwise. */
@Configuration(proxyBeanMethods = false)
class CacheConfiguration {

    @Bean
    ReplyCache replyCache(CacheProperties properties, ResponseCache responseCache, MeterRegistry registry) {
        return new ReplyCache(properties, responseCache, new CacheMeters(registry));
    }

    /** Its Redis connection, if any, closes with the context. */
    @Bean(destroyMethod = "close")
    ResponseCache responseCache(CacheProperties properties, Environment environment, MeterRegistry registry) {
        String url = environment.getProperty("spring.data.redis.url");
        if (!properties.enabled() || url == null || url.isBlank()) {
            return new LocalResponseCache(properties.localMaxBytes().toBytes(), registry);
        }
        return new RedisResponseCache(url, properties);
    }
}
