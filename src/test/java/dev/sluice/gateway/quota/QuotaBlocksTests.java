package dev.sluice.gateway.quota;

import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.scheduler.VirtualTimeScheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A busy user's quota taken in blocks, on H2: few statements for many chats, never past a limit over two replicas,
 * and whatever a block did not spend back in the database once it is idle.
 */
class QuotaBlocksTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final QuotaDatabase H2 = QuotaDatabase.h2();
    private static final LocalDate DAY = LocalDate.of(2030, 6, 1);
    private static final QuotaProperties LIMITS = TestQuotas.limits(1_000_000, 1_000_000_000L, 100, true);
    private static final long PROMPT = 10;
    private static final long REPLY = 100;

    private final AtomicInteger statements = new AtomicInteger();
    /** Holds calls for blocks back while a test lets requests pile up. */
    private volatile Sinks.Empty<Void> gate;
    private final QuotaLedger ledger = new QuotaLedger(H2.client, LIMITS) {
        @Override
        Mono<Boolean> reserve(UUID user, LocalDate day, long estimate) {
            statements.incrementAndGet();
            return super.reserve(user, day, estimate);
        }

        @Override
        Mono<Boolean> reserveBlock(UUID user, LocalDate day, long requests, long estimate, int spread) {
            statements.incrementAndGet();
            Mono<Boolean> call = super.reserveBlock(user, day, requests, estimate, spread);
            return gate == null ? call : gate.asMono().then(call);
        }

        @Override
        Mono<Void> settle(UUID user, LocalDate day, long unused, long estimate, long actual) {
            statements.incrementAndGet();
            return super.settle(user, day, unused, estimate, actual);
        }
    };
    private final Settlements settlements = new Settlements(ledger, LIMITS, new SimpleMeterRegistry());
    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();

    @Test
    void aBusyUsersChatsCostAStatementForDozensAndTheDatabaseEndsWithExactlyWhatWasSpent() {
        UUID user = H2.newUser();
        QuotaBlocks blocks = blocks();

        for (int i = 0; i < 1_000; i++) {
            ticket(blocks, user).end(PROMPT + 5);
        }
        assertThat(statements).as("statements for 1,000 chats, blocks growing to 64").hasValueLessThan(60);

        idleFor(2);
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(settlements.pending()).isZero());
        assertThat(usage(user)).as("what the blocks did not spend went back")
                .isEqualTo(new QuotaLedger.DailyUsage(1_000, 1_000 * (PROMPT + 5), 0, 1_000_000, 1_000_000_000L));
    }

    @Test
    void requestsArrivingWhileABlockIsOnItsWayWaitForItAndTheNextBlockServesThemAll() {
        UUID user = H2.newUser();
        QuotaBlocks blocks = blocks();
        ticket(blocks, user).end(PROMPT); // the first is reserved alone
        gate = Sinks.empty();
        int before = statements.get();

        List<CompletableFuture<QuotaBlocks.Admission>> burst = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            burst.add(blocks.reserve(user, DAY, PROMPT, REPLY).toFuture());
        }
        assertThat(burst).as("all waiting for the one call in flight").noneMatch(CompletableFuture::isDone);
        gate.tryEmitEmpty();

        assertThat(burst).allSatisfy(admission -> assertThat(admission.get(10, TimeUnit.SECONDS).ticket()).isNotNull());
        assertThat(statements.get() - before)
                .as("the call in flight, sized when it started, then one block for everyone who came meanwhile").isEqualTo(2);
        burst.forEach(admission -> admission.join().ticket().end(PROMPT));
    }

    @Test
    void twoReplicasTakingBlocksInTurnLetThroughExactlyTheDailyLimit() {
        UUID user = H2.newUser();
        H2.client.sql("UPDATE users SET daily_requests = 300 WHERE id = :user").bind("user", user).fetch().rowsUpdated()
                .block(TIMEOUT);
        List<QuotaBlocks> replicas = List.of(blocks(), blocks());
        List<QuotaBlocks.Ticket> running = new ArrayList<>();
        int admitted = 0;

        for (int i = 0; i < 500; i++) {
            QuotaBlocks.Admission admission = admission(replicas.get(i % 2), user);
            if (admission.ticket() != null) {
                admitted++;
                running.add(admission.ticket());
            }
            else {
                assertThat(admission.refusedBy().requestsUsedUp()).as("refused by the request quota").isTrue();
            }
            if (running.size() == 8) { // some in flight while others start
                running.remove(0).end(PROMPT);
            }
        }
        running.forEach(ticket -> ticket.end(PROMPT));

        assertThat(admitted).as("exactly the limit, over both replicas").isEqualTo(300);
        idleFor(2);
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(usage(user).requests()).isEqualTo(300));
    }

    @Test
    void theStatusCountsWhatWasSpentNotWhatThisReplicaHoldsAhead() {
        UUID user = H2.newUser();
        QuotaBlocks blocks = blocks();
        for (int i = 0; i < 20; i++) {
            ticket(blocks, user).end(PROMPT + 5);
        }
        QuotaBlocks.Ticket running = ticket(blocks, user);

        QuotaBlocks.Held held = blocks.held(user, DAY);
        QuotaLedger.DailyUsage counted = usage(user);
        assertThat(counted.requests() - held.unusedRequests()).as("requests let through").isEqualTo(21);
        assertThat(counted.tokens() + held.charged()).as("tokens used by those that ended").isEqualTo(20 * (PROMPT + 5));
        assertThat(counted.reservedTokens() - held.blockTokens() + held.reservedInFlight())
                .as("held by the one running").isEqualTo(PROMPT + REPLY);
        running.end(PROMPT);
    }

    @Test
    void newLimitsCloseTheBlocksTakenUnderTheOldOnes() {
        UUID user = H2.newUser();
        QuotaBlocks blocks = blocks();
        for (int i = 0; i < 20; i++) {
            ticket(blocks, user).end(PROMPT);
        }
        assertThat(blocks.held(user, DAY).unusedRequests()).isPositive();

        blocks.forget(user);

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(usage(user).requests()).as("the rest went back").isEqualTo(20));
        assertThat(blocks.admit(user, DAY, PROMPT, REPLY)).as("the next request asks the database").isNull();
    }

    private QuotaBlocks blocks() {
        return new QuotaBlocks(ledger, settlements, LIMITS.blocks(), time);
    }

    /** Two sweeps with no use: the first marks the block unused, the second closes it. */
    private void idleFor(int sweeps) {
        time.advanceTimeBy(LIMITS.blocks().idle().multipliedBy(sweeps));
    }

    private static QuotaBlocks.Ticket ticket(QuotaBlocks blocks, UUID user) {
        QuotaBlocks.Ticket ticket = admission(blocks, user).ticket();
        assertThat(ticket).as("let through").isNotNull();
        return ticket;
    }

    private static QuotaBlocks.Admission admission(QuotaBlocks blocks, UUID user) {
        QuotaBlocks.Ticket now = blocks.admit(user, DAY, PROMPT, REPLY);
        return now != null ? QuotaBlocks.Admission.of(now)
                : Flux.from(blocks.reserve(user, DAY, PROMPT, REPLY)).blockLast(TIMEOUT);
    }

    private static QuotaLedger.DailyUsage usage(UUID user) {
        return new QuotaLedger(H2.client, LIMITS).usage(user, DAY).block(TIMEOUT);
    }
}
