package dev.sluice.gateway.quota;

import dev.sluice.gateway.config.ShutdownOrder;
import org.springframework.context.SmartLifecycle;

/**
 * On shutdown, once no request is served any more: the replica's blocks go back to the database (what they hold and
 * was not spent), then the settlements are waited for, so that a graceful stop leaves no quota held.
 */
final class QuotaShutdown implements SmartLifecycle {

    private final QuotaBlocks blocks;
    private final Settlements settlements;
    private volatile boolean running;

    QuotaShutdown(QuotaBlocks blocks, Settlements settlements) {
        this.blocks = blocks;
        this.settlements = settlements;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        blocks.close();
        settlements.drain();
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
