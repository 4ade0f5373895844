package dev.sluice.gateway.config;

import org.springframework.context.SmartLifecycle;

/**
 * One step of a shutdown, run when Spring's lifecycle reaches its phase ({@link ShutdownOrder}): a write-behind
 * stage's last writes, the Redis connections' close. Declared as a bean beside what it stops.
 */
public final class ShutdownStep implements SmartLifecycle {

    private final int phase;
    private final Runnable step;
    private volatile boolean running;

    public ShutdownStep(int phase, Runnable step) {
        this.phase = phase;
        this.step = step;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        step.run();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return phase;
    }
}
