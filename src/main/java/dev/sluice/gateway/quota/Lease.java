package dev.sluice.gateway.quota;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import reactor.util.concurrent.Queues;

/**
 * This replica's hold on one user's quota for one UTC day: a block of requests and tokens that the day's row counts
 * as spent, and that requests draw on here in memory, with no statement. What the row holds for this lease is always
 * its free part, plus the estimates of its requests in flight, plus the real usage of those that ended since it was
 * last written: every change below keeps that sum.
 * <p>
 * Lock-free: the counts are one immutable {@link State}, swapped whole. A request that finds too little free queues
 * as a {@link Waiter}; one writer at a time (the first to find none) then talks to the database for everyone waiting
 * (see {@link QuotaLedger}). The writer and the sweep keep a few fields of their own, published by the swap that
 * hands the writer role over.
 */
final class Lease {

    static final int TAKEN = 1;
    static final int NOT_FREE = 0;
    static final int CLOSED = -1;
    /** Nothing known of what is left of the user's day. */
    static final long UNKNOWN = Long.MAX_VALUE;

    final UUID user;
    final LocalDate day;
    private final AtomicReference<State> state = new AtomicReference<>(State.EMPTY);
    /** Bounded by the requests in flight, each of which waits here at most once at a time. */
    private final Queue<Waiter> waiters = Queues.<Waiter>unboundedMultiproducer().get();

    // The writer's own.
    /** Requests in the last block taken; 0 before the first. */
    int block;
    /** What the day had left, as last read and less what this lease took since; {@link #UNKNOWN} before a read. */
    long knownRequests = UNKNOWN;
    long knownTokens = UNKNOWN;
    /** Whether the day's row is known to exist. */
    boolean opened;
    /**
     * What a read showed when it found the day's requests used up: until the next sweep clears it, requests that need
     * one more are refused on it without a statement, so that a user hammering past the limit costs the database
     * nothing per request. Stale for at most a sweep, should another replica give back requests meanwhile.
     */
    volatile QuotaLedger.DailyUsage usedUp;

    // The sweep's own (and the writer's, which resets writtenSweepsAgo).
    volatile int untouchedSweeps;
    volatile int writtenSweepsAgo;
    /** When a failed give-back may be tried again, and the wait after the next failure (sweep ticks, milliseconds). */
    volatile long retryAt;
    volatile long backoff;

    Lease(UUID user, LocalDate day) {
        this.user = user;
        this.day = day;
    }

    /** Takes one request and {@code estimate} tokens from the free part: {@link #TAKEN}, {@link #NOT_FREE} or {@link #CLOSED}. */
    int tryTake(long estimate) {
        while (true) {
            State now = state.get();
            if (now.closed) {
                return CLOSED;
            }
            if (now.revoked || now.freeRequests < 1 || now.freeTokens < estimate) {
                return NOT_FREE;
            }
            State next = new State(now.freeRequests - 1, now.freeTokens - estimate, now.usedTokens, now.inFlight + 1,
                    now.finished, now.waiting, now.writing, true, false, false);
            if (state.compareAndSet(now, next)) {
                return TAKEN;
            }
        }
    }

    /** Queues a request for the writer; {@code false} if the lease closed meanwhile (the caller takes the next one). */
    boolean enqueue(Waiter waiter) {
        while (true) {
            State now = state.get();
            if (now.closed) {
                return false;
            }
            State next = new State(now.freeRequests, now.freeTokens, now.usedTokens, now.inFlight, now.finished,
                    now.waiting + 1, now.writing, true, now.revoked, false);
            if (state.compareAndSet(now, next)) {
                waiters.offer(waiter);
                return true;
            }
        }
    }

    /** Becomes the one writer; {@code false} when another writes already (or the lease closed). */
    boolean startWriting() {
        while (true) {
            State now = state.get();
            if (now.writing || now.closed) {
                return false;
            }
            if (state.compareAndSet(now, now.writing(true))) {
                return true;
            }
        }
    }

    /**
     * The writer takes everything a statement settles out of the lease (the free part, the usage to charge) and, if
     * {@code serve}, the requests waiting; {@link #endWrite} or {@link #restore} puts back what becomes of them.
     */
    Ticket beginWrite(boolean serve) {
        List<Waiter> batch = new ArrayList<>();
        if (serve) {
            for (Waiter next = waiters.poll(); next != null; next = waiters.poll()) {
                batch.add(next);
            }
        }
        while (true) {
            State now = state.get();
            State next = new State(0, 0, 0, now.inFlight, 0, now.waiting - batch.size(), true, now.touched,
                    now.revoked, false);
            if (state.compareAndSet(now, next)) {
                return new Ticket(now.freeRequests, now.freeTokens, now.usedTokens, now.finished, now.inFlight,
                        now.revoked, batch);
            }
        }
    }

    /**
     * The statement landed: the lease now has {@code freeRequests} and {@code freeTokens} free more, {@code granted}
     * more requests in flight, and is no longer revoked if {@code renewed}.
     */
    void endWrite(long freeRequests, long freeTokens, int granted, boolean renewed) {
        writtenSweepsAgo = 0;
        while (true) {
            State now = state.get();
            State next = new State(now.freeRequests + freeRequests, now.freeTokens + freeTokens, now.usedTokens,
                    now.inFlight + granted, now.finished, now.waiting, true, now.touched, now.revoked && !renewed, false);
            if (state.compareAndSet(now, next)) {
                return;
            }
        }
    }

    /** The statement did not land (or was not needed): what the ticket took goes back. */
    void restore(Ticket ticket) {
        while (true) {
            State now = state.get();
            State next = new State(now.freeRequests + ticket.freeRequests, now.freeTokens + ticket.freeTokens,
                    now.usedTokens + ticket.usedTokens, now.inFlight, now.finished + ticket.finished, now.waiting, true,
                    now.touched, now.revoked, false);
            if (state.compareAndSet(now, next)) {
                return;
            }
        }
    }

    /** The writer stops, unless requests wait (then it writes once more for them: {@code false}). */
    boolean stopWriting() {
        while (true) {
            State now = state.get();
            if (now.waiting > 0) {
                return false;
            }
            if (state.compareAndSet(now, now.writing(false))) {
                return true;
            }
        }
    }

    /** A request drawn from this lease ended: its {@code estimate} is free again, less the {@code actual} it used. */
    void finish(long estimate, long actual) {
        while (true) {
            State now = state.get();
            State next = new State(now.freeRequests, now.freeTokens + estimate - actual, now.usedTokens + actual,
                    now.inFlight - 1, now.finished + 1, now.waiting, now.writing, now.touched, now.revoked, now.closed);
            if (state.compareAndSet(now, next)) {
                return;
            }
        }
    }

    /** The user's limits changed: nothing more is drawn from this block; the next write gives it back. */
    void revoke() {
        while (true) {
            State now = state.get();
            State next = new State(now.freeRequests, now.freeTokens, now.usedTokens, now.inFlight, now.finished,
                    now.waiting, now.writing, now.touched, true, now.closed);
            if (now.revoked || state.compareAndSet(now, next)) {
                return;
            }
        }
    }

    /** Whether a request drew on the lease since the last call (the sweep's idle clock). */
    boolean touchedSinceLastAsked() {
        while (true) {
            State now = state.get();
            if (!now.touched) {
                return false;
            }
            State next = new State(now.freeRequests, now.freeTokens, now.usedTokens, now.inFlight, now.finished,
                    now.waiting, now.writing, false, now.revoked, now.closed);
            if (state.compareAndSet(now, next)) {
                return true;
            }
        }
    }

    /** Closes the lease if it holds nothing and nothing waits for it or runs from it; {@code true} once closed. */
    boolean tryClose() {
        while (true) {
            State now = state.get();
            if (now.closed) {
                return true;
            }
            if (now.writing || now.waiting != 0 || now.inFlight != 0 || now.holdsSomething()) {
                return false;
            }
            State next = new State(0, 0, 0, 0, 0, 0, false, false, false, true);
            if (state.compareAndSet(now, next)) {
                return true;
            }
        }
    }

    State state() {
        return state.get();
    }

    Key key() {
        return new Key(user, day);
    }

    /** One user's day: a lease's identity in the registry. */
    record Key(UUID user, LocalDate day) {
    }

    /** A request waiting for the writer, with what it asks for: the {@code prompt} and a reply cap of up to {@code reply}. */
    record Waiter(long prompt, long reply, CompletableFuture<QuotaLedger.Grant> grant) {

        long estimate() {
            return prompt + reply;
        }
    }

    /**
     * What a write took out of the lease: its free part, the real usage to charge and the number of requests it
     * covers, the requests in flight then, whether it was revoked, and the requests it serves.
     */
    record Ticket(long freeRequests, long freeTokens, long usedTokens, int finished, int inFlight, boolean revoked,
            List<Waiter> waiters) {

        /** The same requests to serve, once everything else was given back. */
        Ticket givenBack() {
            return new Ticket(0, 0, 0, 0, inFlight, false, waiters);
        }
    }

    /**
     * The lease's counts: free requests and tokens; real usage of ended requests not yet written ({@code usedTokens},
     * of {@code finished} requests); requests running from it and waiting for it; whether a writer runs, a request
     * drew on it since the sweep last looked, the user's limits changed, and whether it is closed for good.
     */
    record State(long freeRequests, long freeTokens, long usedTokens, int inFlight, int finished, int waiting,
            boolean writing, boolean touched, boolean revoked, boolean closed) {

        static final State EMPTY = new State(0, 0, 0, 0, 0, 0, false, false, false, false);

        /** Whether a write would change the row: something free to give back, or usage to charge. */
        boolean holdsSomething() {
            return freeRequests != 0 || freeTokens != 0 || usedTokens != 0 || finished != 0;
        }

        State writing(boolean writing) {
            return new State(freeRequests, freeTokens, usedTokens, inFlight, finished, waiting, writing, touched,
                    revoked, closed);
        }
    }
}
