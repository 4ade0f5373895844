package dev.sluice.gateway.quota;

import java.time.LocalDate;
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
    /** How often a request waits for a block that others then fill first, before it is reserved alone. */
    private static final int TRIES = 3;

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
        return reserve(user, day, prompt, reply, TRIES);
    }

    private Mono<Admission> reserve(UUID user, LocalDate day, long prompt, long reply, int tries) {
        if (settings.maxRequests() == 1 || tries == 0) {
            return alone(user, day, prompt, reply, null);
        }
        Account account = accounts.get(user);
        if (account == null) {
            if (accounts.size() >= MAX_USERS) {
                return alone(user, day, prompt, reply, null);
            }
            account = accounts.computeIfAbsent(user, Account::new);
        }
        return account.reserve(day, prompt, reply, tries);
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
        /** The call for a block in flight, if any: requests that find no room wait for it. */
        private CompletableFuture<Void> granting;
        /** Requests the next block asks for; 1: the next request is reserved alone. */
        private long nextSize = 1;
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

        Mono<Admission> reserve(LocalDate day, long prompt, long reply, int tries) {
            Ticket ticket = admit(day, prompt, reply);
            if (ticket != null) {
                return Mono.just(Admission.of(ticket));
            }
            if (tries <= 0) {
                return alone(user, day, prompt, reply, null);
            }
            CompletableFuture<Void> wait;
            long size;
            synchronized (this) {
                if (retired) {
                    return QuotaBlocks.this.reserve(user, day, prompt, reply, tries);
                }
                wait = granting;
                size = nextSize;
                if (wait == null && size > 1) {
                    granting = new CompletableFuture<>();
                }
            }
            if (wait != null) {
                return Mono.fromFuture(wait).then(Mono.defer(() -> reserve(day, prompt, reply, tries - 1)));
            }
            if (size <= 1) {
                return alone(user, day, prompt, reply, this);
            }
            long tokens = size * (prompt + reply);
            return ledger.reserveBlock(user, day, size, tokens, settings.spread())
                    .doOnError(failure -> granted(null, size))
                    .flatMap(granted -> {
                        granted(granted ? new Block(user, day, size, tokens) : null, size);
                        return granted ? reserve(day, prompt, reply, tries - 1) : alone(user, day, prompt, reply, null);
                    });
        }

        /** The answer to a call for a block of {@code size}: {@code null} when refused (near a limit) or failed. */
        private void granted(Block block, long size) {
            CompletableFuture<Void> waiting;
            Block closed = null;
            synchronized (this) {
                if (block != null) {
                    closed = closeOpenLocked();
                    open = block;
                    blocks.add(block);
                    nextSize = Math.min(settings.maxRequests(), 2 * size);
                }
                else {
                    nextSize = size / 2;
                }
                waiting = granting;
                granting = null;
            }
            if (closed != null) {
                settle(closed);
            }
            waiting.complete(null);
        }

        synchronized void reservedAlone() {
            if (nextSize <= 1) {
                nextSize = 2;
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
                if (open == null && granting == null && blocks.isEmpty()) {
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
