package dev.sluice.gateway.ratelimit;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.sluice.gateway.redis.SingleWriterRedisConnection;
import io.netty.channel.EventLoop;
import io.netty.util.internal.ThreadExecutorMap;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import reactor.core.scheduler.Scheduler;
import reactor.netty.Connection;

/**
 * Brings a request back to its own connection's event loop after a Redis round trip. Without this, the
 * rest of the request (routing, the upstream call, encoding) would run on whichever thread answered:
 * Lettuce's I/O threads, which would then serve requests instead of Redis, or, after a timeout, Reactor's
 * timer threads, where Netty's buffer allocator takes a lock.
 * <p>
 * One scheduler per event loop, made once; it runs a task at once when already on its loop, so that a
 * decision made on the loop (the local fallback) costs no extra hop.
 */
final class EventLoops {

    private final Map<EventLoop, Scheduler> schedulers = new ConcurrentHashMap<>();

    /** For decisions that may arrive on another thread (Redis); {@code null} for local ones, made on the caller's. */
    static EventLoops forDecisionsOf(Buckets buckets) {
        return buckets instanceof LocalBuckets ? null : new EventLoops();
    }

    /** The scheduler of the event loop serving {@code request}, or {@code null} off Reactor Netty (mock requests). */
    Scheduler of(ServerHttpRequest request) {
        Connection connection = connectionOf(request);
        if (connection == null) {
            return null;
        }
        return of(connection.channel().eventLoop());
    }

    /** The scheduler of the event loop running this code, or {@code null} off an event loop. */
    Scheduler current() {
        return ThreadExecutorMap.currentExecutor() instanceof EventLoop loop ? of(loop) : null;
    }

    private Scheduler of(EventLoop loop) {
        Scheduler scheduler = schedulers.get(loop);
        return scheduler != null ? scheduler : schedulers.computeIfAbsent(loop, SingleWriterRedisConnection::inlineWhenOn);
    }

    /** Reactor Netty's connection under {@code request}, or {@code null} off Reactor Netty. */
    static Connection connectionOf(ServerHttpRequest request) {
        try {
            return ServerHttpRequestDecorator.getNativeRequest(request) instanceof Connection connection ? connection : null;
        }
        catch (IllegalStateException noNativeRequest) {
            return null; // a mock request (tests) has none
        }
    }
}
