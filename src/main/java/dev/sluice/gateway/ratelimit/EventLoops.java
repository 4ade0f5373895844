package dev.sluice.gateway.ratelimit;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.sluice.gateway.redis.EventLoopRedisConnections;
import io.netty.channel.EventLoop;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import reactor.core.scheduler.Scheduler;
import reactor.netty.Connection;

/**
 * Brings a request back to its own connection's event loop after a Redis round trip. A round trip made on the
 * request's loop ends there already; this is for the others: one begun on another loop (after an API key's
 * database lookup, which answers on the database connection's loop), or one that timed out, whose fallback
 * decision arrives on Reactor's timer threads, where Netty's buffer allocator takes a lock.
 * <p>
 * One scheduler per event loop, made once; it runs a task at once when already on its loop, so that a
 * decision made on the loop costs no extra hop.
 */
final class EventLoops {

    private final Map<EventLoop, Scheduler> schedulers = new ConcurrentHashMap<>();

    /** The scheduler of the event loop serving {@code request}, or {@code null} off Reactor Netty (mock requests). */
    Scheduler of(ServerHttpRequest request) {
        Object nativeRequest = ServerHttpRequestDecorator.getNativeRequest(request);
        if (!(nativeRequest instanceof Connection connection)) {
            return null;
        }
        EventLoop loop = connection.channel().eventLoop();
        Scheduler scheduler = schedulers.get(loop);
        return scheduler != null ? scheduler : schedulers.computeIfAbsent(loop, EventLoopRedisConnections::inlineWhenOn);
    }
}
