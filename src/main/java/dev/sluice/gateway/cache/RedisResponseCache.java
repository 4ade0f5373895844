package dev.sluice.gateway.cache;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanStream;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.reactive.RedisReactiveCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.DefaultEventLoopGroupProvider;
import io.lettuce.core.resource.EventLoopGroupProvider;
import io.lettuce.core.resource.Transports;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * The cache in Redis, shared by every replica: one key per entry under {@code sluice.cache.key-prefix}, the encoded
 * reply as its value, its TTL set with the write ({@code SET ... PX}). Redis's own {@code maxmemory} and eviction
 * policy bound its memory (see README).
 * <p>
 * Its own connection, so that a Redis in trouble costs a lookup little: while disconnected, commands fail at once
 * instead of queueing for the reconnect, and a command Redis sits on fails after the write timeout at the latest
 * (lookups give up sooner, see {@link ReplyCache}). Lettuce reconnects by itself; a Redis that is down when the
 * gateway starts is retried in the background, with misses meanwhile.
 * <p>
 * Single writer, as for the rate limits' connection: the connection has an I/O event loop of its own and every
 * command is sent from it. Lettuce guards each write with a per-connection lock; written from every request's
 * event loop at once, that lock would be contended (a parked event loop), and answers come back on the loop anyway.
 */
final class RedisResponseCache implements ResponseCache {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
    private static final Log logger = LogFactory.getLog(RedisResponseCache.class);

    private final EventLoopGroupProvider eventLoops;
    private final ClientResources resources;
    private final Scheduler writer;
    private final RedisClient client;
    private final String keyPrefix;
    private final Disposable connecting;
    private volatile StatefulRedisConnection<String, byte[]> connection;
    /** One scheduler per event loop that looks entries up: as many as the server has loops. */
    private final Map<EventExecutor, Scheduler> callerLoops = new ConcurrentHashMap<>();

    RedisResponseCache(String url, CacheProperties properties) {
        RedisURI uri = RedisURI.create(url);
        uri.setTimeout(CONNECT_TIMEOUT);
        this.keyPrefix = properties.keyPrefix();
        // One I/O thread, so that the connection is on the loop commands are sent from, across reconnects too.
        this.eventLoops = new DefaultEventLoopGroupProvider(1);
        this.resources = DefaultClientResources.builder().eventLoopGroupProvider(eventLoops).build();
        EventExecutor loop = eventLoops.allocate(Transports.eventLoopGroupClass()).next();
        this.writer = Schedulers.fromExecutor(task -> {
            if (loop.inEventLoop()) {
                task.run();
            }
            else {
                loop.execute(task);
            }
        });
        this.client = RedisClient.create(resources);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.builder().fixedTimeout(properties.writeTimeout()).build())
                .socketOptions(SocketOptions.builder().connectTimeout(CONNECT_TIMEOUT).build())
                .build());
        this.connecting = connectFirst(uri) ? Disposables.disposed() : keepConnecting(uri);
    }

    /** One attempt while the application starts, on the main thread, so that the first requests can hit. */
    private boolean connectFirst(RedisURI uri) {
        try {
            connection = client.connect(CODEC, uri);
            return true;
        }
        catch (RuntimeException unreachable) {
            logger.warn("Redis for the response cache is not reachable (" + unreachable.getMessage()
                    + "); every lookup is a miss until it is");
            return false;
        }
    }

    private Disposable keepConnecting(RedisURI uri) {
        return Mono.defer(() -> Mono.fromCompletionStage(client.connectAsync(CODEC, uri)))
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofSeconds(1)).maxBackoff(Duration.ofSeconds(30)))
                .subscribe(opened -> {
                    connection = opened;
                    logger.info("Response cache connected to Redis");
                }, failure -> logger.error("Gave up connecting to Redis for the response cache", failure));
    }

    /** {@code command} sent from the connection's own loop, or an error while there is no connection. */
    private <T> Mono<T> send(java.util.function.Function<RedisReactiveCommands<String, byte[]>, Mono<T>> command) {
        StatefulRedisConnection<String, byte[]> current = connection;
        return current == null ? Mono.error(new IllegalStateException("not connected to Redis yet"))
                : Mono.defer(() -> command.apply(current.reactive())).subscribeOn(writer);
    }

    /**
     * The entry, delivered on the caller's own event loop: Lettuce answers on its connection's single I/O thread, and a
     * hit replayed there (its chunks encoded and written by that thread) would queue every other lookup behind it.
     */
    @Override
    public Mono<byte[]> get(String key) {
        return Mono.defer(() -> {
            Mono<byte[]> value = send(redis -> redis.get(key));
            EventExecutor caller = ThreadExecutorMap.currentExecutor();
            return caller == null ? value : value.publishOn(callerLoops.computeIfAbsent(caller, Schedulers::fromExecutor));
        });
    }

    @Override
    public Mono<Void> put(String key, byte[] value, Duration ttl) {
        return send(redis -> redis.set(key, value, SetArgs.Builder.px(ttl.toMillis()))).then();
    }

    /** Every key under the prefix, found with {@code SCAN} (never {@code KEYS}) and removed with {@code UNLINK}. */
    @Override
    public Mono<Long> clear() {
        return send(redis -> ScanStream.scan(redis, KeyScanArgs.Builder.matches(glob(keyPrefix) + "*").limit(500))
                .buffer(500)
                .concatMap(keys -> redis.unlink(keys.toArray(String[]::new)).subscribeOn(writer))
                .reduce(0L, Long::sum));
    }

    /** The prefix as a {@code SCAN MATCH} pattern that matches only itself. */
    static String glob(String prefix) {
        StringBuilder pattern = new StringBuilder(prefix.length() + 8);
        for (char c : prefix.toCharArray()) {
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                pattern.append('\\');
            }
            pattern.append(c);
        }
        return pattern.toString();
    }

    @Override
    public String kind() {
        return "redis";
    }

    @Override
    public void close() {
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
