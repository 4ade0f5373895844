package dev.sluice.gateway.config;

import org.springframework.context.SmartLifecycle;

/**
 * Runs a write-behind stage's last writes on shutdown, at {@link ShutdownOrder#WRITE_BEHIND}: once no request is
 * served any more, while the database can still be reached. Declared as a bean beside the stage it drains.
 */
public final class DrainOnShutdown implements SmartLifecycle {

    private final Runnable drain;
    private volatile boolean running;

    public DrainOnShutdown(Runnable drain) {
        this.drain = drain;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        drain.run();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return ShutdownOrder.WRITE_BEHIND;
    }
}
