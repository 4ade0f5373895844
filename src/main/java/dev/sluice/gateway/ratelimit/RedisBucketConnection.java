package dev.sluice.gateway.ratelimit;

import java.time.Duration;
import java.util.function.BiConsumer;

import dev.sluice.gateway.redis.SingleWriterRedisConnection;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.github.bucket4j.redis.lettuce.RedisApi;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
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
 * <p>
 * Every command bucket4j sends is counted ({@code sluice.ratelimit.redis.commands}) and its answer noted
 * ({@link #lastAnswerNanos()}), so that {@link FallbackBuckets} can tell a Redis that is busy from one that is gone.
 */
@Component
@ConditionalOnProperty("spring.data.redis.url")
@ConditionalOnBooleanProperty(name = "sluice.limits.enabled", matchIfMissing = true)
class RedisBucketConnection implements DisposableBean {

    /** How long a full bucket outlives its last write in Redis; after that it is the same as no key at all. */
    private static final Duration KEY_GRACE = Duration.ofSeconds(10);

    private final Counter sent;
    /** {@link System#nanoTime()} of Redis's last answer to any of our commands, an error reply included. */
    private volatile long lastAnswer = System.nanoTime() - FallbackBuckets.QUIET.toNanos();
    private final BiConsumer<Object, Throwable> answered = (value, failure) -> {
        if (failure == null || failure instanceof RedisCommandExecutionException) {
            lastAnswer = System.nanoTime();
        }
    };
    private volatile AsyncProxyManager<String> buckets;
    private final SingleWriterRedisConnection redis;

    RedisBucketConnection(@Value("${spring.data.redis.url}") String url, RateLimitProperties properties,
            MeterRegistry registry) {
        this.sent = Counter.builder("sluice.ratelimit.redis.commands")
                .description("Commands the rate limits sent to Redis (a bucket4j call is a GET and an EVAL, more on contention)")
                .register(registry);
        // Last: it may connect at once, and connected() needs the fields above.
        this.redis = new SingleWriterRedisConnection(url, properties.redisTimeout(), "rate limits", this::connected);
    }

    private void connected(StatefulRedisConnection<String, byte[]> opened) {
        this.buckets = new Bucket4jLettuce.LettuceBasedProxyManagerBuilder<>(new ObservedApi<>(opened.async()))
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

    long lastAnswerNanos() {
        return lastAnswer;
    }

    @Override
    public void destroy() {
        redis.close();
    }

    /** The three commands bucket4j's compare-and-swap sends, counted and observed. Generic, as bucket4j passes {@code Object[]} keys. */
    private final class ObservedApi<K> implements RedisApi<K> {

        private final RedisAsyncCommands<K, byte[]> async;

        ObservedApi(RedisAsyncCommands<K, byte[]> async) {
            this.async = async;
        }

        @Override
        public <V> RedisFuture<V> eval(String script, ScriptOutputType type, K[] keys, byte[][] params) {
            return observed(async.eval(script, type, keys, params));
        }

        @Override
        public RedisFuture<byte[]> get(K key) {
            return observed(async.get(key));
        }

        @Override
        public RedisFuture<?> delete(K key) {
            return observed(async.del(key));
        }

        private <T> RedisFuture<T> observed(RedisFuture<T> command) {
            sent.increment();
            command.whenComplete(answered);
            return command;
        }
    }
}
