package dev.sluice.gateway.ratelimit;

import java.time.Duration;
import java.util.List;

import dev.sluice.gateway.redis.EventLoopRedisConnections;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.stereotype.Component;

/**
 * The Redis connections the shared budgets live on, when {@code spring.data.redis.url} is set: one on each of the
 * server's event loops ({@link EventLoopRedisConnections}), so that a request's bucket4j round trips stay on its
 * thread, and a command Redis sits on fails after {@code sluice.limits.redis-timeout}. While Redis is away, this
 * replica limits locally.
 */
@Component
@ConditionalOnProperty("spring.data.redis.url")
@ConditionalOnBooleanProperty(name = "sluice.limits.enabled", matchIfMissing = true)
class RedisBucketConnection implements DisposableBean {

    /** How long a full bucket outlives its last write in Redis; after that it is the same as no key at all. */
    private static final Duration KEY_GRACE = Duration.ofSeconds(10);

    private final EventLoopRedisConnections<AsyncProxyManager<String>> redis;

    RedisBucketConnection(@Value("${spring.data.redis.url}") String url, RateLimitProperties properties,
            ReactorResourceFactory resources) {
        this.redis = new EventLoopRedisConnections<>(resources.getLoopResources().onServer(true), url,
                properties.redisTimeout(), "rate limits", opened -> Bucket4jLettuce.casBasedBuilder(opened)
                        .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(KEY_GRACE))
                        .build()
                        .asAsync());
    }

    /** The connection of this thread's event loop (see {@link EventLoopRedisConnections#current()}). */
    EventLoopRedisConnections<AsyncProxyManager<String>>.LoopConnection current() {
        return redis.current();
    }

    /** One connection per event loop, by {@link EventLoopRedisConnections.LoopConnection#index()}. */
    List<EventLoopRedisConnections<AsyncProxyManager<String>>.LoopConnection> all() {
        return redis.all();
    }

    @Override
    public void destroy() {
        redis.close();
    }
}
