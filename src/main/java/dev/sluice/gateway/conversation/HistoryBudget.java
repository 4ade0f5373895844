package dev.sluice.gateway.conversation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The write-behind buffer's room: rows and bytes, in all and for each user, so that neither many small rows nor a
 * few large ones take the heap, and no one user's writes take the room of everyone else's. Lock-free in all; a
 * user's own entry is updated under its map bin's lock, which only that user's requests (and the drain) share.
 */
final class HistoryBudget {

    /** Whether writes were taken, and if not, which bound refused them. */
    enum Room { TAKEN, FULL, USER_SHARE_FULL }

    private final long maxRows;
    private final long maxBytes;
    private final long userRows;
    private final long userBytes;
    private final AtomicLong rows = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final Map<UUID, Held> users = new ConcurrentHashMap<>();

    HistoryBudget(HistoryProperties properties) {
        this.maxRows = properties.bufferSize();
        this.maxBytes = properties.bufferBytes().toBytes();
        this.userRows = properties.perUserRows();
        this.userBytes = properties.perUserBytes();
    }

    /** Takes room for writes that belong together: for all of them, or for none. */
    Room take(List<? extends HistoryWrite> writes) {
        Map<UUID, Held> claims = claims(writes);
        long n = writes.size();
        long weight = claims.values().stream().mapToLong(Held::bytes).sum();
        if (!add(rows, n, maxRows)) {
            return Room.FULL;
        }
        if (!add(bytes, weight, maxBytes)) {
            rows.addAndGet(-n);
            return Room.FULL;
        }
        Map<UUID, Held> taken = new LinkedHashMap<>();
        for (Map.Entry<UUID, Held> claim : claims.entrySet()) {
            if (!takeForUser(claim.getKey(), claim.getValue())) {
                taken.forEach(this::giveBackForUser);
                rows.addAndGet(-n);
                bytes.addAndGet(-weight);
                return Room.USER_SHARE_FULL;
            }
            taken.put(claim.getKey(), claim.getValue());
        }
        return Room.TAKEN;
    }

    /** Gives back the room of writes stored or given up on. */
    void giveBack(List<? extends HistoryWrite> writes) {
        Map<UUID, Held> claims = claims(writes);
        claims.forEach(this::giveBackForUser);
        rows.addAndGet(-writes.size());
        bytes.addAndGet(-claims.values().stream().mapToLong(Held::bytes).sum());
    }

    long rows() {
        return rows.get();
    }

    long bytes() {
        return bytes.get();
    }

    private boolean takeForUser(UUID user, Held claim) {
        boolean[] fits = {false};
        users.compute(user, (id, held) -> {
            Held now = held == null ? claim : new Held(held.rows() + claim.rows(), held.bytes() + claim.bytes());
            if (now.rows() > userRows || now.bytes() > userBytes) {
                return held;
            }
            fits[0] = true;
            return now;
        });
        return fits[0];
    }

    private void giveBackForUser(UUID user, Held claim) {
        users.computeIfPresent(user, (id, held) -> {
            Held now = new Held(held.rows() - claim.rows(), held.bytes() - claim.bytes());
            return now.rows() <= 0 ? null : now;
        });
    }

    private static Map<UUID, Held> claims(List<? extends HistoryWrite> writes) {
        Map<UUID, Held> claims = new LinkedHashMap<>(2);
        for (HistoryWrite write : writes) {
            claims.merge(write.userId(), new Held(1, write.weight()), (a, b) -> new Held(a.rows() + b.rows(), a.bytes() + b.bytes()));
        }
        return claims;
    }

    private static boolean add(AtomicLong counter, long n, long max) {
        for (;;) {
            long current = counter.get();
            if (current + n > max) {
                return false;
            }
            if (counter.compareAndSet(current, current + n)) {
                return true;
            }
        }
    }

    /** What one user's waiting writes hold. */
    private record Held(long rows, long bytes) {
    }
}
