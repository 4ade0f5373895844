package dev.sluice.gateway.ratelimit;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.DefaultEventLoopGroupProvider;
import io.lettuce.core.resource.EventLoopGroupProvider;
import io.lettuce.core.resource.Transports;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.util.retry.Retry;

/**
 * The Redis connection the shared budgets live on, when {@code spring.data.redis.url} is set.
 * <p>
 * Single-writer by design: the connection has an I/O event loop of its own, and every bucket4j call is made
 * on it ({@link #loop()}). Lettuce takes a per-connection lock on each command it writes; with request
 * threads and the I/O thread (which sends bucket4j's compare-and-swap after its read) both writing, that lock
 * would be contended on every request. On one thread it never is, and commands are written without a hop.
 * <p>
 * When Redis is down at startup, it keeps trying in the background, so a gateway starts, and limits
 * locally, meanwhile; once connected, Lettuce reconnects by itself. While disconnected, commands fail at once
 * rather than queue, and a command Redis sits on fails after {@code sluice.limits.redis-timeout}, so that
 * commands cannot pile up behind a Redis that hangs.
 */
@Component
@ConditionalOnProperty("spring.data.redis.url")
@ConditionalOnBooleanProperty(name = "sluice.limits.enabled", matchIfMissing = true)
class RedisBucketConnection implements DisposableBean {

    /** Connecting and the handshake after it; generous, since it happens on startup and reconnects only. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /** How long a full bucket outlives its last write in Redis; after that it is the same as no key at all. */
    private static final Duration KEY_GRACE = Duration.ofSeconds(10);
    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
    private static final Log logger = LogFactory.getLog(RedisBucketConnection.class);

    private final EventLoopGroupProvider eventLoops;
    private final ClientResources resources;
    private final Scheduler loop;
    private final RedisClient client;
    private final Disposable connecting;
    private volatile StatefulRedisConnection<String, byte[]> connection;
    private volatile AsyncProxyManager<String> buckets;

    RedisBucketConnection(@Value("${spring.data.redis.url}") String url, RateLimitProperties properties) {
        RedisURI uri = RedisURI.create(url);
        uri.setTimeout(CONNECT_TIMEOUT);
        // One I/O thread, so that the connection is on the loop this class hands out, across reconnects too.
        // (Lettuce's own provider would round a pool of 1 up to 2.)
        this.eventLoops = new DefaultEventLoopGroupProvider(1);
        this.resources = DefaultClientResources.builder().eventLoopGroupProvider(eventLoops).build();
        this.loop = EventLoops.inlineWhenOn(eventLoops.allocate(Transports.eventLoopGroupClass()).next());
        this.client = RedisClient.create(resources);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.builder().fixedTimeout(properties.redisTimeout()).build())
                .socketOptions(SocketOptions.builder().connectTimeout(CONNECT_TIMEOUT).build())
                .build());
        this.connecting = connectFirst(uri) ? Disposables.disposed() : keepConnecting(uri);
    }

    /**
     * One attempt while the application starts (on the main thread, where waiting is fine), so that a gateway
     * with a working Redis serves its first request from the shared budgets.
     */
    private boolean connectFirst(RedisURI uri) {
        try {
            connected(client.connect(CODEC, uri));
            return true;
        }
        catch (RuntimeException unreachable) {
            logger.warn("Redis for rate limits is not reachable (" + rootMessage(unreachable)
                    + "); limiting per replica until it is");
            return false;
        }
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == failure ? failure.getMessage() : failure.getMessage() + ": " + root.getMessage();
    }

    private Disposable keepConnecting(RedisURI uri) {
        return Mono.defer(() -> Mono.fromCompletionStage(client.connectAsync(CODEC, uri)))
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofSeconds(1)).maxBackoff(Duration.ofSeconds(30))
                        .doBeforeRetry(signal -> logger.debug("Redis for rate limits not reachable yet: " + rootMessage(signal.failure()))))
                .subscribe(this::connected, failure -> logger.error("Gave up connecting to Redis for rate limits", failure));
    }

    private void connected(StatefulRedisConnection<String, byte[]> opened) {
        this.connection = opened;
        this.buckets = Bucket4jLettuce.casBasedBuilder(opened)
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(KEY_GRACE))
                .build()
                .asAsync();
        logger.debug("Rate limits connected to Redis");
    }

    /** The shared buckets, or {@code null} while there is no open connection. Use them on {@link #loop()} only. */
    AsyncProxyManager<String> buckets() {
        StatefulRedisConnection<String, byte[]> current = connection;
        return current != null && current.isOpen() ? buckets : null;
    }

    /** The connection's I/O event loop, where every command is sent from. */
    Scheduler loop() {
        return loop;
    }

    @Override
    public void destroy() {
        connecting.dispose();
        StatefulRedisConnection<String, byte[]> current = connection;
        if (current != null) {
            current.closeAsync();
        }
        client.shutdown(0, 2, TimeUnit.SECONDS);
        resources.shutdown(0, 2, TimeUnit.SECONDS);
        eventLoops.shutdown(0, 2, TimeUnit.SECONDS); // given to Lettuce, so not shut down with its resources
    }
}
