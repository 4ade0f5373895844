package dev.sluice.gateway.redis;

import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Stops Spring's Redis connection factory and waits for it at most {@link #WAIT}; run on shutdown one phase ahead
 * of the factory's own stop ({@link RedisShutdownConfiguration}). Lettuce's close of a connection can spin for good
 * when its writer count was left raised (lettuce#3880, open upstream): CI saw it twice, each time holding a
 * replica's shutdown, and with it the test JVM, for good. Past the wait the shutdown goes on and the close is left
 * to its daemon thread, so a replica still exits in its grace period; the factory's own stop then finds it stopping
 * and returns.
 */
final class BoundedRedisClose implements Runnable {

    static final Duration WAIT = Duration.ofSeconds(5);
    private static final Logger log = LoggerFactory.getLogger(BoundedRedisClose.class);

    private final ObjectProvider<LettuceConnectionFactory> factory;
    private final Duration wait;

    BoundedRedisClose(ObjectProvider<LettuceConnectionFactory> factory, Duration wait) {
        this.factory = factory;
        this.wait = wait;
    }

    @Override
    public void run() {
        LettuceConnectionFactory connections = factory.getIfAvailable();
        if (connections == null || !connections.isRunning()) {
            return;
        }
        Thread closing = new Thread(connections::stop, "redis-close");
        closing.setDaemon(true);
        closing.start();
        try {
            closing.join(wait.toMillis());
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closing.isAlive()) {
            log.warn("Redis connections not closed within {} ms (lettuce#3880); shutting down without them", wait.toMillis());
        }
    }
}
