package dev.sluice.gateway.redis;

import dev.sluice.gateway.config.ShutdownOrder;
import dev.sluice.gateway.config.ShutdownStep;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/** Spring's Redis connections closed on shutdown under a bound, after every stage that may still use them. */
@Configuration(proxyBeanMethods = false)
class RedisShutdownConfiguration {

    @Bean
    ShutdownStep redisClose(ObjectProvider<LettuceConnectionFactory> factory) {
        return new ShutdownStep(ShutdownOrder.REDIS_CLOSE, new BoundedRedisClose(factory, BoundedRedisClose.WAIT));
    }
}
