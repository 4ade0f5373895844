package dev.sluice.gateway.ratelimit;

import java.time.Duration;

import dev.sluice.gateway.redis.SingleWriterRedisConnection;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.api.StatefulRedisConnection;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;
import reactor.core.scheduler.Scheduler;

/**
 * The Redis connection the shared budgets live on, when {@code spring.data.redis.url} is set: a
 * {@link SingleWriterRedisConnection}, so every bucket4j call is made on its loop, and a command Redis sits on
 * fails after {@code sluice.limits.redis-timeout}. While Redis is away, this replica limits locally.
 */
@Component
@ConditionalOnProperty("spring.data.redis.url")
@ConditionalOnBooleanProperty(name = "sluice.limits.enabled", matchIfMissing = true)
class RedisBucketConnection implements DisposableBean {

    /** How long a full bucket outlives its last write in Redis; after that it is the same as no key at all. */
    private static final Duration KEY_GRACE = Duration.ofSeconds(10);

    private final SingleWriterRedisConnection redis;
    private volatile AsyncProxyManager<String> buckets;

    RedisBucketConnection(@Value("${spring.data.redis.url}") String url, RateLimitProperties properties) {
        this.redis = new SingleWriterRedisConnection(url, properties.redisTimeout(), "rate limits", this::connected);
    }

    private void connected(StatefulRedisConnection<String, byte[]> opened) {
        this.buckets = Bucket4jLettuce.casBasedBuilder(opened)
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(KEY_GRACE))
                .build()
                .asAsync();
    }

    /** The shared buckets, or {@code null} while there is no open connection. Use them on {@link #loop()} only. */
    AsyncProxyManager<String> buckets() {
        return redis.connection() != null ? buckets : null;
    }

    /** The connection's I/O event loop, where every command is sent from. */
    Scheduler loop() {
        return redis.loop();
    }

    @Override
    public void destroy() {
        redis.close();
    }
}
