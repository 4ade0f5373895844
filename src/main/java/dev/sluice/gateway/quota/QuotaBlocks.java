package dev.sluice.gateway.quota;

import java.time.LocalDate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * This replica's share of busy users' quotas: requests and tokens taken from the database in blocks and handed out
 * here, on the request's thread, so that most chats cost no statement ({@link QuotaProperties.Blocks} says how
 * blocks are sized and returned). The database decides every block with the same conditional UPDATE as a single
 * reservation, so replicas together never let a user past a limit; a block only ever holds what it was granted.
 * <p>
 * A block hands out a request while it has one left and tokens for its prompt and reply cap; when the request ends,
 * what it did not use of its estimate is free again for the next. When a block is spent, replaced, idle or past its
 * term it is closed, and once its last request ends one settlement gives back what it did not spend and charges what
 * its requests used. One call for a block is in flight per user at a time; requests that find none free wait for it.
 */
final class QuotaBlocks {

    /** Users holding blocks at once; past this, a new user's requests are reserved one by one. */
    static final int MAX_USERS = 100_000;
    /** Requests of one user that may wait for a block on one replica; beyond, they are reserved alone. */
    static final int MAX_WAITING = 4096;

    private final QuotaLedger ledger;
    private final Settlements settlements;
    private final QuotaProperties.Blocks settings;
    private final long termSweeps;
    private final ConcurrentHashMap<UUID, Account> accounts = new ConcurrentHashMap<>();
    private final Disposable sweeping;

    QuotaBlocks(QuotaLedger ledger, Settlements settlements, QuotaProperties.Blocks settings, Scheduler scheduler) {
        this.ledger = ledger;
        this.settlements = settlements;
        this.settings = settings;
        long idle = Math.max(1, settings.idle().toMillis());
        this.termSweeps = Math.max(1, settings.term().toMillis() / idle);
        this.sweeping = settings.maxRequests() > 1
                ? scheduler.schedulePeriodically(this::sweep, idle, idle, TimeUnit.MILLISECONDS)
                : Disposables.disposed();
    }

    /** A ticket from the user's open block, decided at once; {@code null} when it has none to give (then {@link #reserve}). */
    Ticket admit(UUID user, LocalDate day, long prompt, long reply) {
        Account account = accounts.get(user);
        return account == null ? null : account.admit(day, prompt, reply);
    }

    /**
     * The request's ticket: from a new block when the quota has room for one, else reserved alone as
     * {@link QuotaLedger#reserveUpTo} does (the reply cap then possibly smaller); a refusal names the counts that
     * refused it; empty when there is no such user. Runs to its end whoever waits for it.
     */
    Mono<Admission> reserve(UUID user, LocalDate day, long prompt, long reply) {
        if (settings.maxRequests() == 1) {
            return alone(user, day, prompt, reply, null);
        }
        Account account = accounts.get(user);
        if (account == null) {
            if (accounts.size() >= MAX_USERS) {
                return alone(user, day, prompt, reply, null);
            }
            account = accounts.computeIfAbsent(user, Account::new);
        }
        return account.reserve(day, prompt, reply);
    }

    /** One request reserved by itself, and if {@code account} is given, the next block of its user made larger. */
    private Mono<Admission> alone(UUID user, LocalDate day, long prompt, long reply, Account account) {
        return ledger.reserveUpTo(user, day, prompt, reply).map(grant -> {
            if (!grant.granted()) {
                return Admission.refused(grant.refusedBy());
            }
            if (account != null) {
                account.reservedAlone();
            }
            Block single = new Block(user, day, 1, prompt + grant.replyTokens());
            single.take(prompt + grant.replyTokens());
            return Admission.of(new Ticket(single, prompt + grant.replyTokens(), grant.replyTokens()));
        });
    }

    /**
     * What this replica holds of the user's counts on {@code day} that the database counts as spent or reserved:
     * its blocks' requests not handed out yet, their tokens, and the tokens their requests used or hold.
     */
    Held held(UUID user, LocalDate day) {
        Account account = accounts.get(user);
        return account == null ? Held.NONE : account.held(day);
    }

    /** The user's limits changed: this replica's blocks, taken under the old ones, are closed. */
    void forget(UUID user) {
        Account account = accounts.get(user);
        if (account != null) {
            account.closeOpen();
        }
    }

    /** Closes blocks idle since the last sweep or past their term, and forgets users with nothing left here. */
    void sweep() {
        accounts.values().forEach(Account::sweep);
    }

    /** On shutdown: no more sweeps, every block closed (settled now, or when its last request ends). */
    void close() {
        sweeping.dispose();
        accounts.forEach((user, account) -> account.closeOpen());
    }

    private void settle(Block block) {
        settlements.settle(block.user, block.day, block.requestsLeft, block.tokens, block.charged);
    }

    /** A request's hold on a block: one request and its estimate, given back to the block when it ends. */
    final class Ticket {

        private final Block block;
        private final long estimate;
        private final long replyTokens;

        private Ticket(Block block, long estimate, long replyTokens) {
            this.block = block;
            this.estimate = estimate;
            this.replyTokens = replyTokens;
        }

        /** The reply cap held for the request, to be sent upstream. */
        long replyTokens() {
            return replyTokens;
        }

        /** The request is over, having used {@code actual} tokens: once its block's last request has, it is settled. */
        void end(long actual) {
            if (block.end(estimate, actual)) {
                settle(block);
            }
        }
    }

    /** A ticket, or the counts that refused one. */
    record Admission(Ticket ticket, QuotaLedger.DailyUsage refusedBy) {

        static Admission of(Ticket ticket) {
            return new Admission(ticket, null);
        }

        static Admission refused(QuotaLedger.DailyUsage usage) {
            return new Admission(null, usage);
        }
    }

    /**
     * What the database counts for a user that this replica holds: {@code unusedRequests} counted as requests,
     * {@code blockTokens} counted as reserved, of which {@code reservedInFlight} are held by requests still running
     * and {@code charged} were used by requests that ended.
     */
    record Held(long unusedRequests, long blockTokens, long reservedInFlight, long charged) {

        static final Held NONE = new Held(0, 0, 0, 0);
    }

    /** One user's blocks on this replica. Guarded by itself; its blocks' locks are taken inside its own, never around it. */
    private final class Account {

        private final UUID user;
        /** Closed blocks whose requests are still running, and the open one last. */
        private final List<Block> blocks = new ArrayList<>(2);
        private Block open;
        /** Requests that found no room, in order, waiting for the call for a block in flight. */
        private final ArrayDeque<Waiter> waiting = new ArrayDeque<>(2);
        private boolean granting;
        /** Requests the next block takes ahead of need; 1: the next request is reserved alone. */
        private long ahead = 1;
        /** Forgotten by the sweep: whoever still holds it takes a fresh one. */
        private boolean retired;

        Account(UUID user) {
            this.user = user;
        }

        Ticket admit(LocalDate day, long prompt, long reply) {
            Block closed = null;
            Ticket ticket = null;
            synchronized (this) {
                if (open != null && !open.day.equals(day)) { // a new UTC day: yesterday's block goes back
                    closed = closeOpenLocked();
                }
                else if (open != null && open.take(prompt + reply)) {
                    ticket = new Ticket(open, prompt + reply, reply);
                }
            }
            if (closed != null) {
                settle(closed);
            }
            return ticket;
        }

        /**
         * A ticket from the open block; else this request waits for the call for a block in flight, or starts one for
         * itself, everyone waiting and a block ahead of need. The first request of a user, and any while blocks are
         * refused (near a limit), is reserved alone.
         */
        Mono<Admission> reserve(LocalDate day, long prompt, long reply) {
            Ticket ticket = admit(day, prompt, reply);
            if (ticket != null) {
                return Mono.just(Admission.of(ticket));
            }
            Waiter waiter;
            Grant grant = null;
            synchronized (this) {
                if (retired) {
                    return QuotaBlocks.this.reserve(user, day, prompt, reply);
                }
                if ((ahead <= 1 && !granting) || waiting.size() >= MAX_WAITING) {
                    return alone(user, day, prompt, reply, this);
                }
                waiter = new Waiter(day, prompt, reply);
                waiting.add(waiter);
                if (!granting) {
                    grant = startGrantLocked(day, prompt + reply);
                }
            }
            if (grant != null) {
                ask(grant);
            }
            return Mono.fromFuture(waiter.admission);
        }

        /** A block for everyone waiting on {@code day} and {@code ahead} more requests of {@code estimate} each. */
        private Grant startGrantLocked(LocalDate day, long estimate) {
            granting = true;
            long requests = ahead;
            long tokens = ahead * estimate;
            for (Waiter waiter : waiting) {
                if (waiter.day.equals(day)) {
                    requests++;
                    tokens += waiter.estimate();
                }
            }
            return new Grant(day, requests, tokens);
        }

        private void ask(Grant grant) {
            ledger.reserveBlock(user, grant.day, grant.requests, grant.tokens, settings.spread())
                    .subscribe(granted -> answered(grant, granted), this::failed);
        }

        /**
         * The database's answer: a block serves the requests waiting, in order, and holds the rest; those it cannot
         * serve start the next call. Refused (near a limit), every request waiting is reserved alone.
         */
        private void answered(Grant grant, boolean granted) {
            List<Waiter> served = new ArrayList<>();
            List<Waiter> alone = new ArrayList<>();
            Block closed = null;
            Grant next = null;
            synchronized (this) {
                granting = false;
                if (granted) {
                    closed = closeOpenLocked();
                    open = new Block(user, grant.day, grant.requests, grant.tokens);
                    blocks.add(open);
                    ahead = Math.min(settings.maxRequests(), 2 * Math.max(ahead, 1));
                    Waiter waiter;
                    while ((waiter = waiting.peek()) != null && waiter.day.equals(open.day) && open.take(waiter.estimate())) {
                        waiting.poll();
                        waiter.ticket = new Ticket(open, waiter.estimate(), waiter.reply);
                        served.add(waiter);
                    }
                    if (!waiting.isEmpty()) {
                        Waiter first = waiting.peek();
                        next = startGrantLocked(first.day, first.estimate());
                    }
                }
                else {
                    ahead = 1;
                    alone.addAll(waiting);
                    waiting.clear();
                }
            }
            if (closed != null) {
                settle(closed);
            }
            for (Waiter waiter : served) {
                waiter.admission.complete(Admission.of(waiter.ticket));
            }
            for (Waiter waiter : alone) {
                QuotaBlocks.this.alone(user, waiter.day, waiter.prompt, waiter.reply, null).toFuture()
                        .whenComplete((admission, failure) -> waiter.finish(admission, failure));
            }
            if (next != null) {
                ask(next);
            }
        }

        /** The call failed: every request waiting gets the failure (an outage of the quota store, or no such user). */
        private void failed(Throwable failure) {
            List<Waiter> failing;
            synchronized (this) {
                granting = false;
                failing = new ArrayList<>(waiting);
                waiting.clear();
            }
            for (Waiter waiter : failing) {
                waiter.admission.completeExceptionally(failure);
            }
        }

        synchronized void reservedAlone() {
            if (ahead <= 1) {
                ahead = 2;
            }
        }

        void closeOpen() {
            Block closed;
            synchronized (this) {
                closed = closeOpenLocked();
            }
            if (closed != null) {
                settle(closed);
            }
        }

        /** Closes the open block; the block when it is to be settled now. */
        private Block closeOpenLocked() {
            Block closing = open;
            open = null;
            return closing != null && closing.close() ? closing : null;
        }

        /** One sweep; an account that holds nothing any more is retired and removed from the map, under its lock. */
        void sweep() {
            Block closed = null;
            synchronized (this) {
                if (open != null && open.idleOrOld(termSweeps)) {
                    closed = closeOpenLocked();
                }
                blocks.removeIf(Block::settled);
                if (open == null && !granting && waiting.isEmpty() && blocks.isEmpty()) {
                    retired = true;
                    accounts.remove(user, this);
                }
            }
            if (closed != null) {
                settle(closed);
            }
        }

        synchronized Held held(LocalDate day) {
            long unused = 0;
            long tokens = 0;
            long inFlight = 0;
            long charged = 0;
            for (Block block : blocks) {
                synchronized (block) {
                    if (block.day.equals(day) && !block.settled) {
                        unused += block.requestsLeft;
                        tokens += block.tokens;
                        inFlight += block.reservedInFlight;
                        charged += block.charged;
                    }
                }
            }
            return new Held(unused, tokens, inFlight, charged);
        }
    }

    /** A call for a block in flight. */
    private record Grant(LocalDate day, long requests, long tokens) {
    }

    /** A request waiting for a block. */
    private static final class Waiter {

        final LocalDate day;
        final long prompt;
        final long reply;
        final CompletableFuture<Admission> admission = new CompletableFuture<>();
        Ticket ticket;

        Waiter(LocalDate day, long prompt, long reply) {
            this.day = day;
            this.prompt = prompt;
            this.reply = reply;
        }

        long estimate() {
            return prompt + reply;
        }

        /** The answer of its reservation alone; {@code null}: no such user. */
        void finish(Admission answer, Throwable failure) {
            if (failure != null) {
                admission.completeExceptionally(failure);
            }
            else {
                admission.complete(answer);
            }
        }
    }

    /** Requests and tokens granted to this replica for one user and day. Guarded by itself. */
    private static final class Block {

        final UUID user;
        final LocalDate day;
        final long tokens;
        long requestsLeft;
        /** Tokens not held by a running request nor used by one that ended. */
        long tokensFree;
        long reservedInFlight;
        long charged;
        int inFlight;
        boolean closed;
        boolean settled;
        boolean used;
        long sweeps;

        Block(UUID user, LocalDate day, long requests, long tokens) {
            this.user = user;
            this.day = day;
            this.tokens = tokens;
            this.requestsLeft = requests;
            this.tokensFree = tokens;
        }

        synchronized boolean take(long estimate) {
            if (closed || requestsLeft == 0 || tokensFree < estimate) {
                return false;
            }
            requestsLeft--;
            tokensFree -= estimate;
            reservedInFlight += estimate;
            inFlight++;
            used = true;
            return true;
        }

        /** A request ended; {@code true} when the block is now to be settled. */
        synchronized boolean end(long estimate, long actual) {
            inFlight--;
            reservedInFlight -= estimate;
            tokensFree += estimate - actual;
            charged += actual;
            return settleNow();
        }

        /** No more requests from it; {@code true} when it is to be settled now. */
        synchronized boolean close() {
            closed = true;
            return settleNow();
        }

        /** At a sweep: unused since the last one, or open for {@code termSweeps} of them. */
        synchronized boolean idleOrOld(long termSweeps) {
            boolean idle = !used && inFlight == 0;
            used = false;
            return idle || ++sweeps >= termSweeps;
        }

        synchronized boolean settled() {
            return settled;
        }

        private boolean settleNow() {
            if ((closed || requestsLeft == 0) && inFlight == 0 && !settled) {
                settled = true;
                return true;
            }
            return false;
        }
    }
}
