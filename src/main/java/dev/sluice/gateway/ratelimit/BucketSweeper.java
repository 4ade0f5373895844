package dev.sluice.gateway.ratelimit;

import java.util.concurrent.TimeUnit;

import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.scheduler.Schedulers;

/** Sweeps the budgets' per-key state in the background, off the request path. */
final class BucketSweeper implements SmartLifecycle {

    private final Buckets buckets;
    private volatile Disposable sweeping;

    BucketSweeper(Buckets buckets) {
        this.buckets = buckets;
    }

    @Override
    public void start() {
        long every = Buckets.SWEEP_EVERY.toMillis();
        sweeping = Schedulers.parallel().schedulePeriodically(buckets::sweep, every, every, TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() {
        Disposable running = sweeping;
        if (running != null) {
            running.dispose();
        }
    }

    @Override
    public boolean isRunning() {
        Disposable running = sweeping;
        return running != null && !running.isDisposed();
    }
}
