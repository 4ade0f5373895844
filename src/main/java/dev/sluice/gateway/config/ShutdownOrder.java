package dev.sluice.gateway.config;

import org.springframework.context.SmartLifecycle;

/** When the stages of a shutdown run, as Spring lifecycle phases (the highest stops first). */
public final class ShutdownOrder {

    /**
     * After the web server's graceful shutdown and stop ({@code DEFAULT_PHASE - 1024} and {@code - 2048}), so that no
     * request offers a write any more, and before Reactor Netty's event loops stop (phase 0,
     * {@code ReactorResourceFactory}): the database connections run on them ({@link DatabaseEventLoops}), so a write
     * left for the beans' destruction, after them, can no longer reach the database.
     */
    public static final int WRITE_BEHIND = SmartLifecycle.DEFAULT_PHASE - 4096;

    /**
     * After every stage that may still send a Redis command, one phase ahead of Spring's Redis connection factory
     * (phase 0), which {@code redis/RedisShutdownConfiguration} stops here under a bound.
     */
    public static final int REDIS_CLOSE = 1;

    private ShutdownOrder() {
    }
}
