package dev.sluice.gateway.conversation;

import java.util.TreeSet;

/**
 * Which announced deletions this replica has seen, to notice one it missed. Redis numbers them 1, 2, 3...; a
 * number still unseen a whole check after the count passed it was lost (the subscription was down), and then
 * the replica must forget every conversation it remembers. Called from the subscription and the periodic check.
 */
final class DeletionSequence {

    /** Most numbers kept that arrived ahead of a gap; more, and the gap counts as lost. */
    static final int MAX_AHEAD = 1024;

    /** Every number up to this one was seen; -1 until the first count is known. */
    private long contiguous = -1;
    private final TreeSet<Long> ahead = new TreeSet<>();
    /** The count at the previous check when it was past {@link #contiguous}, else -1. */
    private long suspect = -1;

    /** A deletion seen; {@code false} when so many arrived past a gap that the gap counts as lost. */
    synchronized boolean seen(long number) {
        if (number <= contiguous) {
            return true;
        }
        ahead.add(number);
        if (contiguous >= 0) {
            advance();
        }
        if (ahead.size() > MAX_AHEAD) {
            skipTo(ahead.last());
            return false;
        }
        return true;
    }

    /**
     * The count of deletions announced, read now; {@code true} when one announced at the previous check has still
     * not been seen, or when Redis lost its count (it went down to below what was seen).
     */
    synchronized boolean missed(long count) {
        if (contiguous < 0 || count < contiguous) {
            boolean lost = contiguous >= 0;
            contiguous = count;
            ahead.clear();
            suspect = -1;
            return lost;
        }
        boolean missed = suspect >= 0 && contiguous < suspect;
        if (missed) {
            skipTo(suspect);
        }
        suspect = count > contiguous ? count : -1;
        return missed;
    }

    private void skipTo(long number) {
        contiguous = Math.max(contiguous, number);
        ahead.headSet(contiguous, true).clear();
        advance();
    }

    private void advance() {
        while (!ahead.isEmpty() && ahead.first() <= contiguous + 1) {
            contiguous = Math.max(contiguous, ahead.pollFirst());
        }
    }
}
