package dev.sluice.gateway.status;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The newest checks of one provider in a ring of fixed size. Live outcomes arrive on event-loop threads
 * with every call, so writing takes no lock: a counter picks the slot and the slot is overwritten.
 * A reader running alongside writers may miss the newest check or see one twice; a status does not mind.
 */
final class CheckHistory {

    private final AtomicReferenceArray<Check> ring;
    private final AtomicLong written = new AtomicLong();

    CheckHistory(int size) {
        this.ring = new AtomicReferenceArray<>(size);
    }

    Check add(long atMillis, Check.Source source, boolean ok, long latencyNanos) {
        long sequence = written.getAndIncrement();
        Check check = new Check(sequence, atMillis, source, ok, latencyNanos);
        ring.set(slot(sequence), check);
        return check;
    }

    /** Every check still held, newest first. */
    List<Check> newestFirst() {
        long end = written.get();
        long start = Math.max(0, end - ring.length());
        List<Check> checks = new ArrayList<>((int) (end - start));
        for (long sequence = end - 1; sequence >= start; sequence--) {
            Check check = ring.get(slot(sequence));
            // Null: its writer has taken the slot but not filled it yet.
            if (check != null) {
                checks.add(check);
            }
        }
        return checks;
    }

    private int slot(long sequence) {
        return (int) (sequence % ring.length());
    }
}
