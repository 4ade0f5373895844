package dev.sluice.gateway.ratelimit;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.github.bucket4j.TimeMeter;

/**
 * One key's tokens on this replica, taken from its shared budget ahead of need, so that most requests are decided
 * here, on their own thread, without a round trip to Redis; and none is admitted that the shared budget did not
 * grant. A held token is spent within {@link #SPEND_WITHIN_NANOS} of the call that took it, or given back: tokens the
 * budget refilled while others were held are what lets replicas admit more than the limit in a window together, and
 * 0.6 s of refill is 1 % of a per-minute limit, however many replicas hold tokens. What a lease can also do is make
 * one replica refuse while another holds tokens it has not spent yet; so a replica holds at most {@link #maxBlock} =
 * 1 % of the limit ahead of need, and gives back what it holds once the key is idle for a sweep.
 * <p>
 * How much to hold grows with use, like a TCP window: a key's first request takes one token and nothing ahead;
 * each later call to Redis doubles what it takes ahead, up to {@link #maxBlock}; tokens left to expire halve it. When
 * half of it is spent, the next block is asked for in the background. A request finding no token waits for the call in flight, if any, else starts
 * one for itself and everyone waiting then: one call per key at a time on each replica, however many requests.
 * Below 100 requests a minute nothing is held ahead and every decision is Redis's, as exact as without leases.
 */
final class Lease implements SweptMap.Slot {

    /** Requests of one key that may wait for Redis on one replica; beyond, a request is refused as if Redis were busy. */
    static final int MAX_WAITING = 4096;

    /** How long a held token may wait to be spent: 1 % of a minute, the refill a per-minute limit may overshoot by. */
    static final long SPEND_WITHIN_NANOS = TimeUnit.MILLISECONDS.toNanos(600);

    /** One key's budget in Redis. Its answers may arrive on any thread; they must not block. */
    interface Budget {

        /** Takes as many tokens as the budget has, up to {@code atMost}, and tells {@code lease} what came of it. */
        void take(long atMost, Lease lease);

        /** Puts back tokens that were taken and not spent; what the budget cannot hold (full) is dropped. */
        void giveBack(long tokens);
    }

    /**
     * What the budget had for a {@link Budget#take}.
     *
     * @param granted tokens taken, now this replica's
     * @param remaining tokens the budget has left after that
     * @param nanosToNext how long until the budget has a token again, when it has none
     */
    record Grant(long granted, long remaining, long nanosToNext) {
    }

    private final LimitScope scope;
    private final long limit;
    private final long maxBlock;
    private final Budget budget;
    private final TimeMeter time;

    // Guarded by this. Taken on the requests' event loops, answered on Redis's, retired by the sweep.
    private final ArrayDeque<CompletableFuture<RateLimitDecision>> waiting = new ArrayDeque<>(2);
    /** Tokens granted to this replica and not spent yet, oldest first, by the call that took them. */
    private final ArrayDeque<Batch> batches = new ArrayDeque<>(2);
    /** Their sum. */
    private long held;
    /** How many tokens to hold ahead of need; grows with each call, up to {@link #maxBlock}. */
    private long block;
    /** A call to Redis is in flight (one at a time), for {@link #asked} tokens. */
    private boolean asking;
    private long asked;
    private long askedAt;
    /** The shared budget's tokens left at its last answer, for the {@code X-RateLimit-Remaining} of held tokens. */
    private long remainingShared;
    private boolean used = true;
    private boolean retired;

    Lease(LimitScope scope, long limit, Budget budget, TimeMeter time) {
        this.scope = scope;
        this.limit = limit;
        this.maxBlock = maxBlock(limit);
        this.budget = budget;
        this.time = time;
        this.remainingShared = limit;
    }

    /** Tokens a replica may hold ahead of need: 1 % of the limit, rounded down (none below 100 a minute). */
    static long maxBlock(long limit) {
        return limit / 100;
    }

    /** A held token's decision, made at once; {@code null} when none is held (then {@link #take}). */
    RateLimitDecision spendHeld() {
        RateLimitDecision decision;
        long ask;
        long giveBack;
        synchronized (this) {
            giveBack = dropExpired();
            if (held == 0) {
                decision = null;
                ask = 0;
            }
            else {
                used = true;
                decision = spend();
                ask = topUp();
            }
        }
        giveBack(giveBack);
        ask(ask);
        return decision;
    }

    /**
     * This request's decision: at once from a held token, otherwise when Redis answers. {@code null} once the sweep
     * has retired this lease: the caller takes a fresh one. Cancelling the future gives up the request's place.
     */
    CompletableFuture<RateLimitDecision> take() {
        CompletableFuture<RateLimitDecision> decision;
        long ask;
        long giveBack;
        synchronized (this) {
            if (retired) {
                return null;
            }
            used = true;
            giveBack = dropExpired();
            if (held > 0) {
                decision = CompletableFuture.completedFuture(spend());
                ask = topUp();
            }
            else if (waiting.size() >= MAX_WAITING) {
                decision = CompletableFuture.failedFuture(RedisUnavailableException.TOO_MANY_WAITING);
                ask = 0;
            }
            else {
                decision = new CompletableFuture<>();
                waiting.add(decision);
                ask = asking ? 0 : startAsking(waiting.size());
            }
        }
        giveBack(giveBack);
        ask(ask);
        return decision;
    }

    /** Redis's answer to a {@link Budget#take}: the tokens go to the requests waiting, in order, the rest are held. */
    void granted(Grant grant) {
        List<CompletableFuture<RateLimitDecision>> served = new ArrayList<>();
        List<RateLimitDecision> decisions = new ArrayList<>();
        long ask = 0;
        long giveBack = 0;
        synchronized (this) {
            asking = false;
            giveBack = dropExpired();
            if (grant.granted() > 0) {
                batches.add(new Batch(grant.granted(), askedAt + SPEND_WITHIN_NANOS));
                held += grant.granted();
            }
            remainingShared = grant.remaining();
            CompletableFuture<RateLimitDecision> next;
            while (held > 0 && (next = waiting.poll()) != null) {
                if (!next.isDone()) { // not given up (timed out) meanwhile
                    served.add(next);
                    decisions.add(spend());
                }
            }
            if (!waiting.isEmpty()) {
                if (grant.granted() < asked) { // the budget ran dry: a refusal for everyone still waiting
                    RateLimitDecision refused = RateLimitDecision.refused(scope, limit, grant.nanosToNext());
                    for (CompletableFuture<RateLimitDecision> refusedOne : waiting) {
                        served.add(refusedOne);
                        decisions.add(refused);
                    }
                    waiting.clear();
                }
                else {
                    ask = startAsking(waiting.size()); // more came while this call was in flight
                }
            }
            else if (retired) {
                giveBack += takeAllHeld();
            }
            // No top-up here: only spending a held token asks for more, so a key used once holds nothing.
        }
        for (int i = 0; i < served.size(); i++) {
            served.get(i).complete(decisions.get(i));
        }
        ask(ask);
        giveBack(giveBack);
    }

    /** The call failed (Redis gone, or too slow): every request waiting gets the failure, to be judged by {@link FallbackBuckets}. */
    void failed(Throwable failure) {
        List<CompletableFuture<RateLimitDecision>> failing;
        synchronized (this) {
            asking = false;
            failing = new ArrayList<>(waiting);
            waiting.clear();
        }
        for (CompletableFuture<RateLimitDecision> one : failing) {
            one.completeExceptionally(failure);
        }
    }

    /** Idle since the last sweep (or forced out): the held tokens go back to the shared budget. */
    @Override
    public boolean retire(boolean force) {
        long giveBack;
        synchronized (this) {
            if (!force && (used || asking)) {
                used = false;
                return false;
            }
            retired = true; // what a call still in flight brings is given back when it lands
            giveBack = takeAllHeld();
        }
        giveBack(giveBack);
        return true;
    }

    private RateLimitDecision spend() {
        Batch oldest = batches.peek();
        if (--oldest.tokens == 0) {
            batches.poll();
        }
        held--;
        return RateLimitDecision.allowed(scope, limit, remainingShared + held);
    }

    /** Takes out the held tokens that waited too long, to be given back; each such batch halves the block. */
    private long dropExpired() {
        long expired = 0;
        Batch oldest;
        long now = time.currentTimeNanos();
        while ((oldest = batches.peek()) != null && now - oldest.spendBy > 0) {
            batches.poll();
            expired += oldest.tokens;
            block /= 2;
        }
        held -= expired;
        return expired;
    }

    private long takeAllHeld() {
        long all = held;
        batches.clear();
        held = 0;
        return all;
    }

    /** A call for {@code needed} tokens and a block ahead of need. */
    private long startAsking(long needed) {
        asking = true;
        askedAt = time.currentTimeNanos();
        asked = needed + block;
        block = Math.min(maxBlock, Math.max(1, 2 * block));
        return asked;
    }

    /** Asks for the next block in the background once half of this one is spent; 0 when not now. */
    private long topUp() {
        if (asking || retired || block == 0 || held > block / 2) {
            return 0;
        }
        asking = true;
        askedAt = time.currentTimeNanos();
        asked = block - held;
        block = Math.min(maxBlock, 2 * block);
        return asked;
    }

    private void ask(long tokens) {
        if (tokens > 0) {
            budget.take(tokens, this);
        }
    }

    private void giveBack(long tokens) {
        if (tokens > 0) {
            budget.giveBack(tokens);
        }
    }

    synchronized long held() {
        return held;
    }

    /** Tokens one call brought, to be spent by {@link #spendBy} (nanos on {@link #time}); counted down as spent. */
    private static final class Batch {

        long tokens;
        final long spendBy;

        Batch(long tokens, long spendBy) {
            this.tokens = tokens;
            this.spendBy = spendBy;
        }
    }
}
