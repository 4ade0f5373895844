package dev.sluice.gateway.cache;

import java.time.Duration;
import java.util.function.Function;

import dev.sluice.gateway.redis.EventLoopRedisConnections;
import io.lettuce.core.KeyScanArgs;
import io.lettuce.core.ScanStream;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.reactive.RedisReactiveCommands;
import io.netty.channel.EventLoopGroup;
import reactor.core.publisher.Mono;

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
 * On {@link EventLoopRedisConnections}, as the rate limits: a lookup goes out on the connection of the caller's own
 * event loop, so that the entry comes back to that thread and is replayed there.
 */
final class RedisResponseCache implements ResponseCache {

    private final EventLoopRedisConnections<RedisReactiveCommands<String, byte[]>> redis;
    private final String keyPrefix;

    RedisResponseCache(EventLoopGroup loops, String url, CacheProperties properties) {
        this.redis = new EventLoopRedisConnections<>(loops, url, properties.writeTimeout(), "the response cache",
                StatefulRedisConnection::reactive);
        this.keyPrefix = properties.keyPrefix();
    }

    /**
     * {@code command} sent on the connection of this thread's event loop, so that its answer comes back to this
     * thread (off the loops, sent from the first connection's loop), or an error while there is no connection.
     */
    private <T> Mono<T> send(Function<RedisReactiveCommands<String, byte[]>, Mono<T>> command) {
        return Mono.defer(() -> {
            var connection = redis.current();
            RedisReactiveCommands<String, byte[]> commands = connection.commands();
            if (commands == null) {
                return Mono.error(new IllegalStateException("not connected to Redis"));
            }
            Mono<T> sent = command.apply(commands);
            return connection.inLoop() ? sent : sent.subscribeOn(connection.loop());
        });
    }

    @Override
    public Mono<byte[]> get(String key) {
        return send(commands -> commands.get(key));
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
                .concatMap(keys -> send(more -> more.unlink(keys.toArray(String[]::new))))
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
