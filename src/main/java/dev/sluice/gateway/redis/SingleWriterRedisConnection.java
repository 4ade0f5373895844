package dev.sluice.gateway.redis;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

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
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.EventLoopGroupProvider;
import io.lettuce.core.resource.Transports;
import io.netty.util.concurrent.EventExecutor;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * A Redis connection of its own for a feature on the request path (rate limits, the response cache), written
 * from one thread only: the connection has an I/O event loop of its own, and every command is sent from it
 * ({@link #loop()}). Lettuce takes a per-connection lock on each command it writes; written from every request's
 * event loop at once, that lock is contended and can wedge an event loop (lettuce#3804). On one thread it never is.
 * <p>
 * A Redis in trouble costs little: while disconnected, commands fail at once rather than queue for the reconnect,
 * and a command Redis sits on fails after {@code commandTimeout}. When Redis is down at startup the gateway starts
 * anyway and keeps trying in the background; once connected, Lettuce reconnects by itself.
 */
public final class SingleWriterRedisConnection implements AutoCloseable {

    /** Connecting and the handshake after it; generous, since it happens on startup and reconnects only. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /**
     * Between reconnect attempts, at most: Lettuce's default backoff grows to 30 s, so that after an outage of ten
     * seconds Redis was used again only some ten seconds after it returned. An attempt costs one connect.
     */
    private static final Duration MAX_RECONNECT_DELAY = Duration.ofSeconds(1);
    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
    private static final Log logger = LogFactory.getLog(SingleWriterRedisConnection.class);

    private final String purpose;
    private final EventLoopGroupProvider eventLoops;
    private final ClientResources resources;
    private final Scheduler loop;
    private final RedisClient client;
    private final Consumer<StatefulRedisConnection<String, byte[]>> onConnected;
    private final Disposable connecting;
    private volatile StatefulRedisConnection<String, byte[]> connection;

    /**
     * @param purpose what the connection is for, in log lines ("rate limits")
     * @param onConnected called once the connection is open, before {@link #connection()} returns it
     */
    public SingleWriterRedisConnection(String url, Duration commandTimeout, String purpose,
            Consumer<StatefulRedisConnection<String, byte[]>> onConnected) {
        RedisURI uri = RedisURI.create(url);
        uri.setTimeout(CONNECT_TIMEOUT);
        this.purpose = purpose;
        this.onConnected = onConnected;
        // One I/O thread, so that the connection is on the loop handed out, across reconnects too.
        // (Lettuce's own provider would round a pool of 1 up to 2.)
        this.eventLoops = new DefaultEventLoopGroupProvider(1);
        this.resources = DefaultClientResources.builder().eventLoopGroupProvider(eventLoops)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), MAX_RECONNECT_DELAY, 2, TimeUnit.MILLISECONDS))
                .build();
        this.loop = inlineWhenOn(eventLoops.allocate(Transports.eventLoopGroupClass()).next());
        this.client = RedisClient.create(resources);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.builder().fixedTimeout(commandTimeout).build())
                .socketOptions(SocketOptions.builder().connectTimeout(CONNECT_TIMEOUT).build())
                .build());
        this.connecting = connectFirst(uri) ? Disposables.disposed() : keepConnecting(uri);
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

    /** The open connection, or {@code null} while there is none. Send its commands from {@link #loop()} only. */
    public StatefulRedisConnection<String, byte[]> connection() {
        StatefulRedisConnection<String, byte[]> current = connection;
        return current != null && current.isOpen() ? current : null;
    }

    /** The connection's I/O event loop, where every command is sent from. */
    public Scheduler loop() {
        return loop;
    }

    /** One attempt while the application starts (on the main thread, where waiting is fine), so that the first requests use Redis. */
    private boolean connectFirst(RedisURI uri) {
        try {
            connected(client.connect(CODEC, uri));
            return true;
        }
        catch (RuntimeException unreachable) {
            logger.warn("Redis for " + purpose + " is not reachable (" + rootMessage(unreachable)
                    + "); going on without it until it is");
            return false;
        }
    }

    private Disposable keepConnecting(RedisURI uri) {
        return Mono.defer(() -> Mono.fromCompletionStage(client.connectAsync(CODEC, uri)))
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofSeconds(1)).maxBackoff(MAX_RECONNECT_DELAY)
                        .doBeforeRetry(signal -> logger.debug("Redis for " + purpose + " not reachable yet: "
                                + rootMessage(signal.failure()))))
                .subscribe(this::connected, failure -> logger.error("Gave up connecting to Redis for " + purpose, failure));
    }

    private void connected(StatefulRedisConnection<String, byte[]> opened) {
        onConnected.accept(opened);
        this.connection = opened;
        logger.info("Connected to Redis for " + purpose);
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == failure ? failure.getMessage() : failure.getMessage() + ": " + root.getMessage();
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
