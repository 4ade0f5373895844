package dev.sluice.gateway.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

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
import io.lettuce.core.resource.EventLoopGroupProvider;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.HashedWheelTimer;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
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
 * Redis connections for a feature on the request path (rate limits, the response cache): one on each of the HTTP
 * server's event loops. A request's commands go out on the connection of the loop it runs on, and their replies come
 * back to that same thread, so a Redis round trip hands nothing over between threads and needs no I/O thread of its
 * own competing for the cores. Each connection is written from its own loop only: Lettuce takes a per-connection lock
 * on each command it writes, and written from every loop at once that lock is contended and can wedge a loop
 * (lettuce#3804).
 * <p>
 * A Redis in trouble costs little: while disconnected, commands fail at once rather than queue for the reconnect,
 * and a command Redis sits on fails after {@code commandTimeout}. When Redis is down at startup the gateway starts
 * anyway and keeps trying in the background; once connected, Lettuce reconnects by itself, on the same loop.
 */
public final class EventLoopRedisConnections<T> implements AutoCloseable {

    /** Connecting and the handshake after it; generous, since it happens on startup and reconnects only. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
    private static final Log logger = LogFactory.getLog(EventLoopRedisConnections.class);

    private final String purpose;
    /** Shared by the connections' clients: command timeouts, and the reconnects' and events' work. */
    private final HashedWheelTimer timer = new HashedWheelTimer();
    private final EventExecutorGroup computation = new DefaultEventExecutorGroup(1);
    private final List<LoopConnection> connections;

    /**
     * @param loops the HTTP server's event loops
     * @param purpose what the connections are for, in log lines ("rate limits")
     * @param commands what the feature uses of an open connection (its commands, or a client built on them)
     */
    public EventLoopRedisConnections(EventLoopGroup loops, String url, Duration commandTimeout, String purpose,
            Function<StatefulRedisConnection<String, byte[]>, T> commands) {
        this.purpose = purpose;
        RedisURI uri = RedisURI.create(url);
        uri.setTimeout(CONNECT_TIMEOUT);
        ClientOptions options = ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.builder().fixedTimeout(commandTimeout).build())
                .socketOptions(SocketOptions.builder().connectTimeout(CONNECT_TIMEOUT).build())
                .build();
        List<LoopConnection> opened = new ArrayList<>();
        RuntimeException unreachable = null;
        for (EventExecutor loop : loops) {
            LoopConnection connection = new LoopConnection(opened.size(), (EventLoop) loop, options, commands);
            opened.add(connection);
            // One attempt while the application starts (on the main thread, where waiting is fine), so that the
            // first requests use Redis; after a failure, the others are not tried here, only in the background.
            unreachable = unreachable == null ? connection.connectFirst(uri) : unreachable;
            if (unreachable != null) {
                connection.keepConnecting(uri);
            }
        }
        this.connections = List.copyOf(opened);
        if (unreachable == null) {
            logger.info("Connected to Redis for " + purpose + ", on each of the " + connections.size() + " event loops");
        }
        else {
            logger.warn("Redis for " + purpose + " is not reachable (" + rootMessage(unreachable)
                    + "); going on without it until it is");
        }
    }

    /**
     * The connection of the event loop this thread is, so that its commands and replies stay on this thread; off the
     * server's loops (a timer, a test), the first one, whose commands must then be sent from its loop
     * ({@link LoopConnection#loop()}).
     */
    public LoopConnection current() {
        EventExecutor executor = ThreadExecutorMap.currentExecutor();
        for (int i = 0; i < connections.size(); i++) { // as many as cores: a scan beats a map
            LoopConnection connection = connections.get(i);
            if (connection.eventLoop == executor) {
                return connection;
            }
        }
        return connections.get(0);
    }

    /** Every connection, one per event loop, in the order of {@link LoopConnection#index()}. */
    public List<LoopConnection> all() {
        return connections;
    }

    /** A scheduler for {@code loop} that runs a task at once when already on it. */
    public static Scheduler inlineWhenOn(EventExecutor loop) {
        return Schedulers.fromExecutor(task -> {
            if (loop.inEventLoop()) {
                task.run();
            }
            else {
                loop.execute(task);
            }
        });
    }

    @Override
    public void close() {
        for (LoopConnection connection : connections) {
            connection.close();
        }
        computation.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        timer.stop();
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == failure ? failure.getMessage() : failure.getMessage() + ": " + root.getMessage();
    }

    /** The connection registered on one event loop. */
    public final class LoopConnection {

        private final int index;
        private final EventLoop eventLoop;
        private final Scheduler loop;
        private final ClientResources resources;
        private final RedisClient client;
        private final Function<StatefulRedisConnection<String, byte[]>, T> adapter;
        private volatile Disposable connecting = Disposables.disposed();
        private volatile StatefulRedisConnection<String, byte[]> connection;
        private volatile T commands;

        private LoopConnection(int index, EventLoop eventLoop, ClientOptions options,
                Function<StatefulRedisConnection<String, byte[]>, T> adapter) {
            this.index = index;
            this.eventLoop = eventLoop;
            this.loop = inlineWhenOn(eventLoop);
            this.adapter = adapter;
            this.resources = DefaultClientResources.builder()
                    .eventLoopGroupProvider(new OneLoop(eventLoop))
                    .eventExecutorGroup(computation)
                    .timer(timer)
                    .build();
            this.client = RedisClient.create(resources);
            client.setOptions(options);
        }

        /** This connection's place in {@link #all()}. */
        public int index() {
            return index;
        }

        /** The commands of the open connection, or {@code null} while there is none. Send them from {@link #loop()} only. */
        public T commands() {
            StatefulRedisConnection<String, byte[]> current = connection;
            return current != null && current.isOpen() ? commands : null;
        }

        /** The connection's event loop, where its commands are sent from; runs a task at once when already on it. */
        public Scheduler loop() {
            return loop;
        }

        /** Whether this thread is the connection's event loop, so that a command can be sent at once. */
        public boolean inLoop() {
            return eventLoop.inEventLoop();
        }

        /** Connects, waiting: {@code null} once connected, else the failure. */
        private RuntimeException connectFirst(RedisURI uri) {
            try {
                connected(client.connect(CODEC, uri));
                return null;
            }
            catch (RuntimeException unreachable) {
                return unreachable;
            }
        }

        private void keepConnecting(RedisURI uri) {
            this.connecting = Mono.defer(() -> Mono.fromCompletionStage(client.connectAsync(CODEC, uri)))
                    .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofSeconds(1)).maxBackoff(Duration.ofSeconds(30))
                            .doBeforeRetry(signal -> logger.debug("Redis for " + purpose + " not reachable yet: "
                                    + rootMessage(signal.failure()))))
                    .subscribe(opened -> {
                        connected(opened);
                        logger.info("Connected to Redis for " + purpose + " (event loop " + index + ")");
                    }, failure -> logger.error("Gave up connecting to Redis for " + purpose, failure));
        }

        private void connected(StatefulRedisConnection<String, byte[]> opened) {
            this.commands = adapter.apply(opened);
            this.connection = opened;
        }

        private void close() {
            connecting.dispose();
            StatefulRedisConnection<String, byte[]> current = connection;
            if (current != null) {
                current.closeAsync();
            }
            client.shutdown(0, 2, TimeUnit.SECONDS);
            resources.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }

    /** Lettuce's event loops for one connection: the server's loop it is to live on, never shut down by Lettuce. */
    private record OneLoop(EventLoop loop) implements EventLoopGroupProvider {

        @Override
        @SuppressWarnings("unchecked")
        public <T extends EventLoopGroup> T allocate(Class<T> type) {
            return (T) loop;
        }

        @Override
        public int threadPoolSize() {
            return 1;
        }

        @Override
        public Future<Boolean> release(EventExecutorGroup group, long quietPeriod, long timeout, TimeUnit unit) {
            return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
        }

        @Override
        public Future<Boolean> shutdown(long quietPeriod, long timeout, TimeUnit unit) {
            return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
        }
    }
}
