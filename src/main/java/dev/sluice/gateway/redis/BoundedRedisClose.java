package dev.sluice.gateway.redis;

import java.time.Duration;

import dev.sluice.gateway.config.ShutdownOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.stereotype.Component;

/**
 * Stops Spring's Redis connection factory one phase ahead of its own stop, and waits for it at most
 * {@link #WAIT}. Lettuce's close of a connection can spin for good when its writer count was left raised
 * (lettuce#3880, open upstream): CI saw it twice, each time holding a replica's shutdown, and with it the test
 * JVM, for good. Past the wait the shutdown goes on and the close is left to its daemon thread, so a replica still
 * exits in its grace period; the factory's own stop then finds it stopping and returns.
 */
@Component
class BoundedRedisClose implements SmartLifecycle {

    static final Duration WAIT = Duration.ofSeconds(5);
    private static final Logger log = LoggerFactory.getLogger(BoundedRedisClose.class);

    private final ObjectProvider<LettuceConnectionFactory> factory;
    private final Duration wait;
    private volatile boolean running;

    @Autowired
    BoundedRedisClose(ObjectProvider<LettuceConnectionFactory> factory) {
        this(factory, WAIT);
    }

    BoundedRedisClose(ObjectProvider<LettuceConnectionFactory> factory, Duration wait) {
        this.factory = factory;
        this.wait = wait;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
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

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return ShutdownOrder.REDIS_CLOSE;
    }
}
