package dev.sluice.gateway.spend;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Where a call keeps its {@link CallCost} once {@link CallCosts} has worked it out: the budgets' settlement and
 * {@link Spending} each ask when the call ends, in either order and possibly on two threads, and both must charge the
 * same amount. Whoever asks first works it out; should two race, the first stored wins and both return it.
 */
public final class MemoisedCost {

    /** Stands for "not a call", which {@link CallCosts} says with {@code null}. */
    private static final CallCost NOT_A_CALL = new CallCost(null, false, 0, 0, 0, null, false);

    private final AtomicReference<CallCost> cost = new AtomicReference<>();

    CallCost get(Supplier<CallCost> workOut) {
        CallCost known = cost.get();
        if (known == null) {
            CallCost worked = workOut.get();
            cost.compareAndSet(null, worked == null ? NOT_A_CALL : worked);
            known = cost.get();
        }
        return known == NOT_A_CALL ? null : known;
    }
}
