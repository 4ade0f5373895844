package dev.sluice.gateway.ratelimit;

import java.util.concurrent.ConcurrentHashMap;

/**
 * How many chats each account has in flight on this replica, against {@code sluice.limits.per-user.max-concurrent-streams}.
 * Only accounts with a chat in flight have an entry, so memory follows the accounts active right now. Per replica: a
 * user spread over N replicas by the load balancer may hold up to N times the cap (a shared count would cost a Redis
 * round trip per chat and leak slots whenever a replica dies holding them).
 */
final class StreamSlots {

    private final int max;
    private final ConcurrentHashMap<String, Integer> inFlight = new ConcurrentHashMap<>();

    StreamSlots(int max) {
        this.max = max;
    }

    int max() {
        return max;
    }

    /** Takes a slot for {@code account}; false, taking nothing, when all of its slots are taken. */
    boolean tryAcquire(String account) {
        boolean[] taken = {false};
        inFlight.compute(account, (key, count) -> {
            int current = count == null ? 0 : count;
            if (current >= max) {
                return count;
            }
            taken[0] = true;
            return current + 1;
        });
        return taken[0];
    }

    /** Gives back a slot taken by {@link #tryAcquire}; the account's entry goes with its last slot. */
    void release(String account) {
        inFlight.computeIfPresent(account, (key, count) -> count <= 1 ? null : count - 1);
    }
}
