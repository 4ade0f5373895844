package dev.sluice.gateway.cache;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import dev.sluice.gateway.redis.SingleWriterRedisConnection;
import io.lettuce.core.KeyScanArgs;
import io.lettuce.core.ScanStream;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.reactive.RedisReactiveCommands;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The cache in Redis, shared by every replica: one key per entry under {@code sluice.cache.key-prefix}, the encoded
 * reply as its value, its TTL set with the write ({@code SET ... PX}). Redis's own {@code maxmemory} and eviction
 * policy bound its memory (see README).
 * <p>
 * Its own connection, so that a Redis in trouble costs a lookup little: while disconnected, commands fail at once
 * instead of queueing for the reconnect, and a command Redis sits on fails after the write timeout at the latest
 * (lookups give up sooner, see {@link ReplyStore}). Lettuce reconnects by itself; a Redis that is down when the
 * gateway starts is retried in the background, with misses meanwhile.
 * <p>
 * On a {@link SingleWriterRedisConnection}, as the rate limits: every command is sent from the connection's own loop.
 */
final class RedisResponseCache implements ResponseCache {

    private final SingleWriterRedisConnection redis;
    private final String keyPrefix;
    /** One scheduler per event loop that looks entries up: as many as the server has loops. */
    private final Map<EventExecutor, Scheduler> callerLoops = new ConcurrentHashMap<>();

    RedisResponseCache(String url, CacheProperties properties) {
        this.redis = new SingleWriterRedisConnection(url, properties.writeTimeout(), "the response cache", opened -> { });
        this.keyPrefix = properties.keyPrefix();
    }

    /** {@code command} sent from the connection's own loop, or an error while there is no connection. */
    private <T> Mono<T> send(Function<RedisReactiveCommands<String, byte[]>, Mono<T>> command) {
        StatefulRedisConnection<String, byte[]> current = redis.connection();
        return current == null ? Mono.error(new IllegalStateException("not connected to Redis"))
                : Mono.defer(() -> command.apply(current.reactive())).subscribeOn(redis.loop());
    }

    /**
     * The entry, delivered on the caller's own event loop: Lettuce answers on its connection's single I/O thread, and a
     * hit replayed there (its chunks encoded and written by that thread) would queue every other lookup behind it.
     */
    @Override
    public Mono<byte[]> get(String key) {
        return Mono.defer(() -> {
            Mono<byte[]> value = send(commands -> commands.get(key));
            EventExecutor caller = ThreadExecutorMap.currentExecutor();
            return caller == null ? value : value.publishOn(callerLoops.computeIfAbsent(caller, Schedulers::fromExecutor));
        });
    }

    @Override
    public Mono<Void> put(String key, byte[] value, Duration ttl) {
        return send(commands -> commands.set(key, value, SetArgs.Builder.px(ttl.toMillis()))).then();
    }

    /** Every key under the prefix, found with {@code SCAN} (never {@code KEYS}) and removed with {@code UNLINK}. */
    @Override
    public Mono<Long> clear() {
        return send(commands -> ScanStream.scan(commands, KeyScanArgs.Builder.matches(glob(keyPrefix) + "*").limit(500))
                .buffer(500)
                .concatMap(keys -> commands.unlink(keys.toArray(String[]::new)).subscribeOn(this.redis.loop()))
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
        redis.close();
    }
}
