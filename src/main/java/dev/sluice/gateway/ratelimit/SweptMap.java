package dev.sluice.gateway.ratelimit;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import reactor.core.scheduler.Scheduler;

/**
 * Per-key state that a background sweep removes once it is no longer needed, bounded in size. Lookups are a
 * plain {@link ConcurrentHashMap} read (a compute only for a new key): no lock shared by all requests and
 * no cache maintenance on the request's thread, which Caffeine does under a flood of new keys (its write
 * buffer's back-pressure spins and locks on the caller, an event loop here).
 * <p>
 * The bound holds after each sweep; between sweeps, a map more than twice over it asks for an early one.
 */
final class SweptMap<V extends SweptMap.Slot> {

    /** One key's state. */
    interface Slot {

        /**
         * Asked by the sweep: may this slot go? When {@code force}, it must (the map is over its bound). A slot
         * that answers true is removed and must never be used again.
         */
        boolean retire(boolean force);
    }

    private final ConcurrentHashMap<String, V> slots = new ConcurrentHashMap<>();
    private final Function<String, V> create;
    private final int maxSize;
    private final Scheduler earlySweeps;
    private final AtomicBoolean earlySweepPending = new AtomicBoolean();
    /** One sweep at a time: two would each remove the whole excess. */
    private final AtomicBoolean sweeping = new AtomicBoolean();

    /** @param earlySweeps where an early sweep runs, or {@code null} for none (tests sweep by hand) */
    SweptMap(Function<String, V> create, int maxSize, Scheduler earlySweeps) {
        this.create = create;
        this.maxSize = maxSize;
        this.earlySweeps = earlySweeps;
    }

    V get(String key) {
        V slot = slots.get(key);
        if (slot != null) {
            return slot;
        }
        slot = slots.computeIfAbsent(key, create);
        if (earlySweeps != null && slots.size() > 2 * maxSize && earlySweepPending.compareAndSet(false, true)) {
            earlySweeps.schedule(this::sweep);
        }
        return slot;
    }

    /** Drops a slot found retired, so that the next {@link #get} makes a new one. */
    void remove(String key, V slot) {
        slots.remove(key, slot);
    }

    void sweep() {
        if (!sweeping.compareAndSet(false, true)) {
            return;
        }
        try {
            earlySweepPending.set(false);
            int excess = slots.size() - maxSize;
            for (Map.Entry<String, V> entry : slots.entrySet()) {
                if (entry.getValue().retire(excess > 0) && slots.remove(entry.getKey(), entry.getValue())) {
                    excess--;
                }
            }
        }
        finally {
            sweeping.set(false);
        }
    }

    int size() {
        return slots.size();
    }
}
