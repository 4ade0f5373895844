package dev.sluice.gateway.quota;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.TransientDataAccessException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Where chats reserve their quota: from this replica's {@link Lease} on the user's day, in memory, with no statement
 * in the common case. When a lease has too little free, the requests waiting for it are served together by one
 * statement ({@link QuotaRows#TAKE}), which also settles the real usage of the requests that ended and takes the next
 * block: as many requests as wait, plus an extra part that doubles with each block used up (up to
 * {@code leases.max-requests}) and never takes more than a {@code leases.share}-th of what is left of the day. Near the
 * limit the extra part shrinks to nothing: exact single reservations, the reply cap cut to the tokens left, as
 * before leases. {@link Settlements} gives back what a lease no longer needs.
 * <p>
 * Exact across replicas: the row counts a block as spent from the moment it is taken until it is given back, so no
 * replica ever lets a user past the limit. While the database cannot answer, no request is served from a lease
 * either: the caller sees the failure (or its timeout) and falls back to the outage allowance, as without leases.
 * Bounded: at most {@code leases.max} leases; past it, chats of users without one get 503.
 */
class QuotaLedger {

    private static final Log logger = LogFactory.getLog(QuotaLedger.class);
    /**
     * Past this a statement counts as not having reached the database, so that a connection that hangs cannot hold a
     * lease for good. Far longer than any queue on a busy row: a take that ran after all stays counted (the row holds
     * it until the lease expires, never past the limit); a give-back that ran after all is tried again.
     */
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);
    /**
     * Reads and takes when other replicas keep taking what was left between the two. Each lost try means another
     * replica's take landed, so the day runs out after a few; this only bounds the pathological case.
     */
    private static final int PARTIAL_TRIES = 32;
    /** Looks for an open lease, when the sweep closes the one found between two steps. */
    private static final int LOOKUPS = 8;
    /** A lease's expiry, in terms: how long the row keeps what it holds as held, without a write from it. */
    private static final int EXPIRY_TERMS = 3;
    private static final Duration FULL_RETRY_AFTER = Duration.ofSeconds(1);

    private final QuotaRows rows;
    private final QuotaProperties.Leases settings;
    private final Clock clock;
    private final ConcurrentHashMap<Lease.Key, Lease> leases = new ConcurrentHashMap<>();
    private final AtomicInteger leaseCount = new AtomicInteger();
    /** Requests that ended and whose real usage is not written yet. */
    private final AtomicInteger unsettled = new AtomicInteger();
    private final List<Consumer<UUID>> limitListeners = new CopyOnWriteArrayList<>();
    /** Set by a statement that could not reach the database, cleared by the next that did. */
    private volatile boolean storeDown;

    QuotaLedger(QuotaRows rows, QuotaProperties properties, Clock clock) {
        this.rows = rows;
        this.settings = properties.leases();
        this.clock = clock;
    }

    /**
     * Takes one request, the {@code prompt} and a reply cap of up to {@code reply} tokens from the user's quota: the
     * whole {@code reply} when it fits, else whatever is left after the prompt. Refused when no request is left, or
     * not even the prompt and one reply token fit. Empty when there is no such user; a {@link DataAccessException} or
     * {@link TimeoutException} when the database could not answer; a 503 when this replica holds too many leases.
     * Detached: once called, the reservation runs to its end even if nobody waits for it any more.
     */
    Mono<Grant> reserveUpTo(UUID user, LocalDate day, long prompt, long reply) {
        return Mono.defer(() -> {
            for (int lookup = 0; lookup < LOOKUPS; lookup++) {
                Lease lease = lease(user, day);
                if (lease == null) {
                    break;
                }
                if (!storeDown) {
                    int taken = lease.tryTake(prompt + reply);
                    if (taken == Lease.TAKEN) {
                        return Mono.just(Grant.of(reply));
                    }
                    if (taken == Lease.CLOSED) {
                        continue;
                    }
                }
                Lease.Waiter waiter = new Lease.Waiter(prompt, reply, new CompletableFuture<>());
                if (lease.enqueue(waiter)) {
                    if (lease.startWriting()) {
                        serve(lease).subscribe(null, QuotaLedger::writerBroke);
                    }
                    return Mono.fromFuture(waiter.grant(), true);
                }
            }
            return Mono.error(new GatewayException(ErrorCode.OVERLOADED, "Too many users are chatting on this replica"
                    + " right now; try again shortly", null, FULL_RETRY_AFTER));
        });
    }

    /** A request drawn from a lease ended: it used {@code actual} tokens of the {@code estimate} held for it. */
    void finish(UUID user, LocalDate day, long estimate, long actual) {
        Lease lease = leases.get(new Lease.Key(user, day));
        if (lease == null) {
            // Not drawn from a lease (it never happens): settle it the way a lease would.
            logger.warn("A quota settlement found no lease; written on its own");
            rows.giveBack(user, day, 0, estimate, actual, 0).subscribe(done -> { },
                    failure -> logger.warn("A quota settlement could not be written: " + failure));
            return;
        }
        unsettled.incrementAndGet();
        lease.finish(estimate, actual);
    }

    /**
     * Gives back what the lease holds and does not need (its free part) and charges the real usage of the requests
     * that ended, in one statement; then serves the requests that queued meanwhile. Empty at once when another write
     * runs on the lease (it settles the same). Fails with the database's failure, after which the lease holds it all
     * as before and a later call tries again.
     */
    Mono<Void> giveBack(Lease lease) {
        return Mono.defer(() -> {
            if (!lease.startWriting()) {
                return Mono.empty();
            }
            return giveBack(lease, lease.beginWrite(false)).doFinally(signal -> {
                if (!lease.stopWriting()) {
                    serve(lease).subscribe(null, QuotaLedger::writerBroke);
                }
            });
        });
    }

    /** The user's usage and limits on {@code day}, as this replica sees them; empty when there is no such user. */
    Mono<DailyUsage> usage(UUID user, LocalDate day) {
        return rows.row(user, day).map(row -> withOwnLease(user, day, row.usage(clock.millis())));
    }

    /** One page of everyone's usage on {@code day}, newest-first by user id, starting after the cursor {@code before}. */
    Flux<UserUsage> usageOn(LocalDate day, UUID before, int limit) {
        return rows.usageOn(day, before, limit, clock.millis());
    }

    /**
     * Sets the user's own limits ({@code null}: back to the default); {@code false} when there is no such user. Every
     * lease on the user is revoked: here at once, on the other replicas through the listeners.
     */
    Mono<Boolean> setLimits(UUID user, Integer dailyRequests, Long dailyTokens) {
        return rows.setLimits(user, dailyRequests, dailyTokens).doOnNext(found -> {
            if (found) {
                revoke(user);
                limitListeners.forEach(listener -> listener.accept(user));
            }
        });
    }

    /** Called with the user whose limits an admin changed on this replica. */
    void onLimitsChanged(Consumer<UUID> listener) {
        limitListeners.add(listener);
    }

    /** The user's limits changed: no more requests are drawn from this replica's blocks taken under the old ones. */
    void revoke(UUID user) {
        for (Lease lease : leases.values()) {
            if (lease.user.equals(user)) {
                lease.revoke();
                giveBack(lease).subscribe(done -> { }, failure -> { }); // else the sweep gives it back
            }
        }
    }

    Collection<Lease> leases() {
        return leases.values();
    }

    /** Drops a lease the sweep closed. */
    void forget(Lease lease) {
        if (leases.remove(lease.key(), lease)) {
            leaseCount.decrementAndGet();
        }
    }

    int unsettled() {
        return unsettled.get();
    }

    LocalDate today() {
        return LocalDate.now(clock.withZone(ZoneOffset.UTC));
    }

    long now() {
        return clock.millis();
    }

    /**
     * The database could not be asked, or did not answer in time: not an answer about the quota, and no reason to
     * think a statement ran.
     */
    static boolean unanswered(Throwable failure) {
        return failure instanceof DataAccessResourceFailureException || failure instanceof TransientDataAccessException
                || failure instanceof TimeoutException;
    }

    /** Failures are the waiting requests' answers: one that reaches here is a bug, and leaves the lease stuck. */
    private static void writerBroke(Throwable failure) {
        logger.error("A quota lease's writer failed", failure);
    }

    /** The user's open lease on {@code day}, made if there is none; {@code null} when this replica holds too many. */
    private Lease lease(UUID user, LocalDate day) {
        Lease.Key key = new Lease.Key(user, day);
        Lease found = leases.get(key);
        if (found != null && !found.state().closed()) {
            return found;
        }
        if (found == null && leaseCount.get() >= settings.max()) {
            return null;
        }
        return leases.compute(key, (same, old) -> {
            if (old != null && !old.state().closed()) {
                return old;
            }
            if (old == null) {
                leaseCount.incrementAndGet();
            }
            return new Lease(user, day);
        });
    }

    /** As the lease's writer: serves the waiting requests, a batch per statement, until none waits. */
    private Mono<Void> serve(Lease lease) {
        return Mono.defer(() -> writeOnce(lease)).repeat(() -> !lease.stopWriting()).then();
    }

    private Mono<Void> writeOnce(Lease lease) {
        Lease.Ticket ticket = lease.beginWrite(true);
        if (ticket.waiters().isEmpty()) {
            lease.restore(ticket);
            return Mono.empty();
        }
        if (ticket.revoked()) {
            // Blocks taken under the user's old limits go back before anything is taken under the new ones.
            return giveBack(lease, ticket)
                    .then(Mono.defer(() -> exchange(lease, ticket.givenBack())))
                    .onErrorResume(failure -> {
                        fail(ticket, failure);
                        return Mono.empty();
                    });
        }
        return exchange(lease, ticket);
    }

    /** Serves the ticket's requests with one statement when it can, reading what is left when it cannot. */
    private Mono<Void> exchange(Lease lease, Lease.Ticket ticket) {
        if (servedFromFree(lease, ticket)) {
            return Mono.empty();
        }
        DailyUsage usedUp = lease.usedUp;
        if (usedUp != null && ticket.freeRequests() == 0) {
            apply(lease, ticket, Plan.refused(ticket, usedUp));
            return Mono.empty();
        }
        int target = Math.max(ticket.waiters().size(), Math.min(settings.maxRequests(), 2 * lease.block));
        Plan whole = Plan.whole(ticket, target, settings.share(), lease.knownRequests, lease.knownTokens);
        Mono<Plan> planned = whole == null ? fitted(lease, ticket, target, PARTIAL_TRIES)
                : take(lease, whole).flatMap(taken -> taken ? Mono.just(whole) : notTaken(lease, ticket, target, whole));
        return planned
                .switchIfEmpty(Mono.fromSupplier(() -> Plan.noAccount(ticket)))
                .doOnNext(plan -> apply(lease, ticket, plan))
                .onErrorResume(failure -> {
                    lease.restore(ticket);
                    fail(ticket, failure);
                    return Mono.empty();
                })
                .then();
    }

    /**
     * Requests that queued while a statement ran (it had the free part out of the lease meanwhile) are served from
     * what it left free, with no statement of their own; {@code false} when that does not cover them all. Those that
     * others took the free part from first queue again.
     */
    private static boolean servedFromFree(Lease lease, Lease.Ticket ticket) {
        long needed = 0;
        for (Lease.Waiter waiter : ticket.waiters()) {
            needed += waiter.estimate();
        }
        if (ticket.freeRequests() < ticket.waiters().size() || ticket.freeTokens() < needed) {
            return false;
        }
        lease.restore(ticket);
        for (Lease.Waiter waiter : ticket.waiters()) {
            if (lease.tryTake(waiter.estimate()) == Lease.TAKEN) {
                waiter.grant().complete(Grant.of(waiter.reply()));
            }
            else {
                lease.enqueue(waiter);
            }
        }
        return true;
    }

    /** The first take of a lease may find no row for the day: it opens the day and tries once more. */
    private Mono<Plan> notTaken(Lease lease, Lease.Ticket ticket, int target, Plan plan) {
        if (lease.opened) {
            return fitted(lease, ticket, target, PARTIAL_TRIES);
        }
        lease.opened = true;
        return write(rows.openDay(lease.user, lease.day))
                .then(take(lease, plan))
                .flatMap(taken -> taken ? Mono.just(plan) : fitted(lease, ticket, target, PARTIAL_TRIES));
    }

    /** Reads what is left and serves what fits of it; empty when there is no such user. */
    private Mono<Plan> fitted(Lease lease, Lease.Ticket ticket, int target, int tries) {
        return write(rows.row(lease.user, lease.day)).flatMap(row -> {
            if (!row.open()) {
                lease.opened = true;
                return write(rows.openDay(lease.user, lease.day)).then(Mono.defer(() -> fitted(lease, ticket, target, tries)));
            }
            Plan plan = Plan.fitted(ticket, row, target, settings.share());
            lease.knownRequests = row.requestLimit() - row.requests() - plan.requests();
            lease.knownTokens = row.tokenLimit() - row.tokens() - row.reservedTokens() - plan.tokens();
            if (plan.granted() == 0) {
                if (row.requests() >= row.requestLimit()) {
                    lease.usedUp = plan.grants().get(0).refusedBy();
                }
                return Mono.just(plan);
            }
            return take(lease, plan).flatMap(taken -> {
                if (taken) {
                    return Mono.just(plan);
                }
                lease.knownRequests = Lease.UNKNOWN;
                lease.knownTokens = Lease.UNKNOWN;
                return tries > 1 ? fitted(lease, ticket, target, tries - 1)
                        : Mono.just(Plan.refused(ticket, Plan.seen(ticket, row, Plan.requestsLeft(ticket, row),
                                Plan.tokensLeft(ticket, row))));
            });
        });
    }

    private Mono<Boolean> take(Lease lease, Plan plan) {
        return write(rows.take(lease.user, lease.day, new QuotaRows.Change(plan.requests(), plan.extraRequests(),
                plan.tokens(), plan.extraTokens(), plan.used(), settings.share(), expiry())));
    }

    /** The plan's outcome, into the lease first (so that its requests count as in flight), then to each request. */
    private void apply(Lease lease, Lease.Ticket ticket, Plan plan) {
        if (plan.written()) {
            lease.endWrite(plan.freeRequests(), plan.freeTokens(), plan.granted(), false);
            unsettled.addAndGet(-ticket.finished());
            lease.block = plan.granted() + (int) plan.freeRequests();
            lease.opened = true;
            if (lease.knownRequests != Lease.UNKNOWN && !plan.fitted()) {
                lease.knownRequests -= plan.requests();
                lease.knownTokens -= plan.tokens();
            }
        }
        else {
            lease.restore(ticket);
        }
        List<Lease.Waiter> waiters = ticket.waiters();
        for (int i = 0; i < waiters.size(); i++) {
            waiters.get(i).grant().complete(plan.grants().get(i));
        }
    }

    /** Gives back the ticket's free part and charges its usage, in one statement (none when there is nothing to write). */
    private Mono<Void> giveBack(Lease lease, Lease.Ticket ticket) {
        boolean nothing = ticket.freeRequests() == 0 && ticket.freeTokens() == 0 && ticket.usedTokens() == 0
                && ticket.finished() == 0;
        if (nothing && ticket.inFlight() == 0) {
            given(lease, ticket);
            return Mono.empty();
        }
        // While requests still run from it, the lease stays alive on the row; else it lets its expiry lapse.
        long until = ticket.inFlight() > 0 ? expiry() : 0;
        return write(rows.giveBack(lease.user, lease.day, ticket.freeRequests(), ticket.freeTokens() + ticket.usedTokens(),
                        ticket.usedTokens(), until))
                .doOnSuccess(done -> given(lease, ticket))
                .doOnError(failure -> {
                    if (unanswered(failure)) {
                        lease.restore(ticket);
                    }
                    else {
                        // Refused for good: the row keeps it all held (reported as used once the lease expires).
                        lease.endWrite(0, 0, 0, ticket.revoked());
                        unsettled.addAndGet(-ticket.finished());
                    }
                });
    }

    private void given(Lease lease, Lease.Ticket ticket) {
        lease.endWrite(0, 0, 0, ticket.revoked());
        unsettled.addAndGet(-ticket.finished());
        if (ticket.revoked()) {
            lease.usedUp = null;
            lease.block = 0;
            lease.knownRequests = Lease.UNKNOWN;
            lease.knownTokens = Lease.UNKNOWN;
        }
        else if (lease.knownRequests != Lease.UNKNOWN) {
            lease.knownRequests += ticket.freeRequests();
            lease.knownTokens += ticket.freeTokens();
        }
    }

    /** Every request of the ticket fails as the database did: each then takes the outage allowance, or a 503. */
    private void fail(Lease.Ticket ticket, Throwable failure) {
        for (Lease.Waiter waiter : ticket.waiters()) {
            waiter.grant().completeExceptionally(failure);
        }
    }

    /** A statement of the writer's: bounded in time, and telling whether the database answers. */
    private <T> Mono<T> write(Mono<T> statement) {
        return statement.timeout(WRITE_TIMEOUT)
                .doOnSuccess(answered -> storeDown = false)
                .doOnError(failure -> {
                    if (failure instanceof TimeoutException
                            || (failure instanceof DataAccessException && !(failure instanceof DataIntegrityViolationException))) {
                        storeDown = true;
                    }
                });
    }

    private long expiry() {
        return clock.millis() + settings.term().toMillis() * EXPIRY_TERMS;
    }

    /** The row's counts with this replica's own lease taken into account: its free part is not used, its usage is. */
    private DailyUsage withOwnLease(UUID user, LocalDate day, DailyUsage usage) {
        Lease lease = leases.get(new Lease.Key(user, day));
        if (lease == null) {
            return usage;
        }
        Lease.State state = lease.state();
        if (state.writing()) {
            return usage;
        }
        return new DailyUsage(Math.max(0, usage.requests() - state.freeRequests()), usage.tokens() + state.usedTokens(),
                Math.max(0, usage.reservedTokens() - state.usedTokens() - state.freeTokens()),
                usage.requestLimit(), usage.tokenLimit());
    }

    /**
     * What one statement does for a ticket: its change to the row ({@code requests} and {@code tokens} added to the
     * hold, {@code extra…} of them block beyond the waiting requests, {@code used} settled), the lease's free part
     * after it, and one grant (or refusal) per waiting request. {@code written}: a statement landed; {@code fitted}:
     * sized from a read of the row.
     */
    record Plan(long requests, long extraRequests, long tokens, long extraTokens, long used, long freeRequests,
            long freeTokens, int granted, List<Grant> grants, boolean written, boolean fitted) {

        /**
         * Every waiting request with its whole reply cap, and a block of {@code target} requests in all; {@code null}
         * when what is known to be left cannot hold the waiting requests (a read is needed first).
         */
        static Plan whole(Lease.Ticket ticket, int target, int share, long knownRequests, long knownTokens) {
            List<Lease.Waiter> waiters = ticket.waiters();
            long each = 0;
            long needed = 0;
            List<Grant> grants = new ArrayList<>(waiters.size());
            for (Lease.Waiter waiter : waiters) {
                each = Math.max(each, waiter.estimate());
                needed += waiter.estimate();
                grants.add(Grant.of(waiter.reply()));
            }
            long extra = target - waiters.size();
            if (knownRequests != Lease.UNKNOWN) {
                long neededRequests = Math.max(0, waiters.size() - ticket.freeRequests());
                long neededTokens = Math.max(0, needed - ticket.freeTokens());
                if (knownRequests < neededRequests || knownTokens < neededTokens) {
                    return null;
                }
                extra = Math.min(extra, Math.min((knownRequests - neededRequests) / share,
                        each == 0 ? extra : (knownTokens - neededTokens) / share / each));
            }
            return of(ticket, waiters.size(), needed, Math.max(0, extra), each, grants, false);
        }

        /**
         * What fits of the row's counts: the waiting requests in order while a request and their prompt and one reply
         * token are left (the reply cap cut to what is), the others refused; then a block of what is left over, at most
         * a {@code share}-th of it.
         */
        static Plan fitted(Lease.Ticket ticket, QuotaRows.Row row, int target, int share) {
            long requests = requestsLeft(ticket, row);
            long tokens = tokensLeft(ticket, row);
            List<Grant> grants = new ArrayList<>(ticket.waiters().size());
            int granted = 0;
            long needed = 0;
            long each = 0;
            for (Lease.Waiter waiter : ticket.waiters()) {
                if (requests >= 1 && tokens - waiter.prompt() >= 1) {
                    long cap = Math.min(waiter.reply(), tokens - waiter.prompt());
                    grants.add(Grant.of(cap));
                    granted++;
                    requests--;
                    tokens -= waiter.prompt() + cap;
                    needed += waiter.prompt() + cap;
                    each = Math.max(each, waiter.prompt() + cap);
                }
                else {
                    grants.add(Grant.refused(seen(ticket, row, requests, tokens)));
                }
            }
            if (granted == 0) {
                return new Plan(0, 0, 0, 0, 0, 0, 0, 0, grants, false, true);
            }
            long extra = Math.max(0, Math.min(target - granted, Math.min(requests / share, tokens / share / each)));
            return of(ticket, granted, needed, extra, each, grants, true);
        }

        /** Every waiting request refused, with the counts that refused them. */
        static Plan refused(Lease.Ticket ticket, DailyUsage usage) {
            List<Grant> grants = new ArrayList<>();
            for (int i = 0; i < ticket.waiters().size(); i++) {
                grants.add(Grant.refused(usage));
            }
            return new Plan(0, 0, 0, 0, 0, 0, 0, 0, grants, false, true);
        }

        /** There is no such user: every waiting request gets nothing (an empty answer). */
        static Plan noAccount(Lease.Ticket ticket) {
            List<Grant> grants = new ArrayList<>();
            for (int i = 0; i < ticket.waiters().size(); i++) {
                grants.add(null);
            }
            return new Plan(0, 0, 0, 0, 0, 0, 0, 0, grants, false, true);
        }

        private static Plan of(Lease.Ticket ticket, int granted, long needed, long extra, long each, List<Grant> grants,
                boolean fitted) {
            long extraTokens = extra * each;
            long requests = granted + extra - ticket.freeRequests();
            long tokens = needed + extraTokens - ticket.freeTokens();
            return new Plan(requests, Math.max(0, Math.min(extra, requests)), tokens,
                    Math.max(0, Math.min(extraTokens, tokens)), ticket.usedTokens(), extra, extraTokens, granted,
                    grants, true, fitted);
        }

        /** Requests left of the day for this lease: the row's, and the lease's own free ones it counts. */
        static long requestsLeft(Lease.Ticket ticket, QuotaRows.Row row) {
            return row.requestLimit() - row.requests() + ticket.freeRequests();
        }

        static long tokensLeft(Lease.Ticket ticket, QuotaRows.Row row) {
            return row.tokenLimit() - row.tokens() - row.reservedTokens() + ticket.freeTokens();
        }

        /** The counts a refused request is told of: {@code requests} and {@code tokens} were left for it. */
        static DailyUsage seen(Lease.Ticket ticket, QuotaRows.Row row, long requests, long tokens) {
            long used = row.tokens() + ticket.usedTokens();
            return new DailyUsage(row.requestLimit() - requests, used, Math.max(0, row.tokenLimit() - used - tokens),
                    row.requestLimit(), row.tokenLimit());
        }
    }

    /** A user's counts for one day and the limits in force for them. */
    record DailyUsage(long requests, long tokens, long reservedTokens, long requestLimit, long tokenLimit) {

        boolean requestsUsedUp() {
            return requests >= requestLimit;
        }
    }

    /**
     * The answer to {@link #reserveUpTo}: the reply tokens held ({@code 0}: refused), and on a refusal the counts
     * that refused it.
     */
    record Grant(long replyTokens, DailyUsage refusedBy) {

        static Grant of(long replyTokens) {
            return new Grant(replyTokens, null);
        }

        static Grant refused(DailyUsage usage) {
            return new Grant(0, usage);
        }

        boolean granted() {
            return replyTokens > 0;
        }
    }

    /** One user's counts for one day, for the admins' usage report. */
    record UserUsage(UUID userId, String email, long requests, long tokens, long reservedTokens) {
    }
}
