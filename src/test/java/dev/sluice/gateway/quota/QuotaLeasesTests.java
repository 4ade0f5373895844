package dev.sluice.gateway.quota;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Leases on H2: blocks taken in one statement and served in memory, grown with demand, shrunk near the limit, given
 * back when idle, revoked by an admin's change, replaced at midnight, and a crashed replica's held for good. Each
 * replica is a ledger of its own on the one database; every request here asks for a 10-token prompt and a 90-token
 * reply cap. Leases idle after 100 ms and expire 3 s after their last write.
 */
class QuotaLeasesTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final QuotaDatabase H2 = QuotaDatabase.h2();
    private static final QuotaProperties LIMITS = TestQuotas.limits(1_000, 1_000_000, 90, true);
    private static final LocalDate DAY = LocalDate.of(2030, 6, 1);

    /** Leases that never go idle nor reach their term within a test: only what the test does gives them back. */
    private static final QuotaProperties.Leases SLOW = new QuotaProperties.Leases(64, 8, Duration.ofHours(1),
            Duration.ofHours(1), 1_000);

    private final TestClock clock = new TestClock(Instant.parse("2030-06-01T12:00:00Z"));
    private final List<Settlements> running = new ArrayList<>();

    @AfterEach
    void stop() {
        running.forEach(Settlements::drain);
    }

    @Test
    void aBusyUsersRequestsAreServedFromBlocksAtAFewStatementsForHundreds() {
        Replica one = replica();
        UUID user = H2.newUser();

        List<QuotaLedger.Grant> grants = Flux.range(0, 500)
                .flatMap(i -> one.ledger.reserveUpTo(user, DAY, 10, 90).subscribeOn(Schedulers.boundedElastic()), 64)
                .doOnNext(grant -> one.settlements.settle(user, DAY, 10 + grant.replyTokens(), 20))
                .collectList()
                .block(TIMEOUT);

        assertThat(grants).hasSize(500).allSatisfy(grant -> assertThat(grant.replyTokens()).isEqualTo(90));
        assertThat(one.statements()).as("blocks of up to 64, not a statement per request").isLessThanOrEqualTo(40);
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(row(one, user)).as("all settled once idle")
                .extracting(QuotaRows.Row::requests, QuotaRows.Row::tokens, QuotaRows.Row::reservedTokens)
                .containsExactly(500L, 10_000L, 0L));
    }

    @Test
    void oneRequestAfterAnotherGrowsTheBlocksTheLeaseTakes() {
        Replica one = replica(SLOW);
        UUID user = H2.newUser();

        for (int i = 0; i < 63; i++) {
            one.serveOne(user, 20);
        }

        // Blocks of 1, 2, 4, 8, 16 and 32 requests: six takes, and the day's row opened once.
        assertThat(one.statements("take")).isEqualTo(6 + 1);
        assertThat(one.statements("open-day")).isEqualTo(1);
        assertThat(row(one, user).requests()).as("63 let through, 0 left in the last block").isEqualTo(63);
    }

    @Test
    void nearTheLimitBlocksShrinkToExactSingleReservations() {
        Replica one = replica();
        UUID user = H2.newUser();
        one.ledger.setLimits(user, 30, null).block(TIMEOUT);

        List<Boolean> granted = new ArrayList<>();
        List<Long> held = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            granted.add(one.serveOne(user, 20));
            long requests = row(one, user).requests();
            held.add(requests - Math.min(i + 1, 30));
        }

        assertThat(granted.subList(0, 30)).as("the whole day, request by request").containsOnly(true);
        assertThat(granted.subList(30, 32)).as("and not one more").containsOnly(false);
        for (int i = 0; i < 30; i++) {
            long left = 30 - (i + 1);
            assertThat(held.get(i)).as("after request " + (i + 1) + ": the block's free part is at most an 8th of the "
                    + left + " left").isLessThanOrEqualTo(left / 8);
        }
        assertThat(held.subList(22, 30)).as("with less than 8 left, nothing beyond the request itself").containsOnly(0L);
    }

    @Test
    void anIdleLeaseGivesBackWhatItDidNotUseAndAnotherReplicaUsesIt() {
        // Idle after a second, so that it still holds its block while two asks; blocks as large as demand asks.
        Replica one = replica(new QuotaProperties.Leases(64, 1, Duration.ofSeconds(1), Duration.ofSeconds(5), 1_000));
        Replica two = replica();
        UUID user = H2.newUser();
        one.ledger.setLimits(user, 20, null).block(TIMEOUT);

        // One after the other: blocks of 1, 2, 4 and 8; after 10 requests, 5 of the last block are free on one.
        for (int i = 0; i < 10; i++) {
            one.ledger.reserveUpTo(user, DAY, 10, 90).block(TIMEOUT);
        }
        assertThat(row(one, user).requests()).as("10 let through, 5 held free by one").isEqualTo(15);
        assertThat(granted(two, user, 20)).as("what one holds is not two's to take").isEqualTo(5);

        await().atMost(TIMEOUT).until(() -> row(two, user).requests() == 15);
        assertThat(granted(two, user, 10)).as("once one's lease went idle, its 5 are two's").isEqualTo(5);
        assertThat(row(two, user).requests()).as("the day, exactly").isEqualTo(20);
    }

    @Test
    void aCrashedReplicasLeaseNeverLetsOthersPastTheLimitAndIsReportedAsUsedOnceItExpires() {
        UUID user = H2.newUser();
        QuotaRows rows = new QuotaRows(H2.client, LIMITS, new SimpleMeterRegistry());
        rows.setLimits(user, 100, null).block(TIMEOUT);
        // A replica that takes its blocks and dies before it writes anything back: no settlements, no sweep.
        QuotaLedger crashed = new QuotaLedger(rows, LIMITS, clock);
        for (int i = 0; i < 10; i++) {
            crashed.reserveUpTo(user, DAY, 10, 90).block(TIMEOUT);
        }
        Replica two = replica();

        assertThat(granted(two, user, 100)).as("the 5 the crashed replica held free stay counted").isEqualTo(85);
        await().atMost(TIMEOUT).until(() -> two.settlements.pending() == 0);
        QuotaLedger.DailyUsage before = two.ledger.usage(user, DAY).block(TIMEOUT);
        assertThat(before.reservedTokens()).as("the crashed replica's 15 requests' tokens, held").isEqualTo(15 * 100);

        clock.advance(Duration.ofSeconds(4));

        QuotaLedger.DailyUsage after = two.ledger.usage(user, DAY).block(TIMEOUT);
        assertThat(after.reservedTokens()).as("nobody keeps the lease alive: nothing is held any more").isZero();
        assertThat(after.tokens()).as("what it held counts as used, never as free").isEqualTo(before.tokens() + 15 * 100);
        assertThat(after.requests()).isEqualTo(100);
        assertThat(granted(two, user, 5)).as("and never past the limit").isZero();
    }

    @Test
    void aReplicaToldOfNewLimitsGivesItsBlockBackAndServesNoMoreFromIt() {
        Replica one = replica(SLOW);
        Replica two = replica();
        UUID user = H2.newUser();
        for (int i = 0; i < 10; i++) {
            one.ledger.reserveUpTo(user, DAY, 10, 90).block(TIMEOUT);
        }
        assertThat(row(one, user).requests()).as("5 free on one").isEqualTo(15);

        two.ledger.setLimits(user, 10, null).block(TIMEOUT);
        one.ledger.revoke(user); // what SharedLimitChanges does on hearing of it

        QuotaLedger.Grant refused = one.ledger.reserveUpTo(user, DAY, 10, 90).block(TIMEOUT);
        assertThat(refused.granted()).as("10 of the new 10 are used: the old block is not drawn on").isFalse();
        assertThat(refused.refusedBy().requestsUsedUp()).isTrue();
        assertThat(row(one, user).requests()).as("the free 5 went back").isEqualTo(10);
    }

    @Test
    void anAdminsChangeMadeOnThisReplicaRevokesItsOwnBlocksAtOnce() {
        Replica one = replica(SLOW);
        UUID user = H2.newUser();
        List<UUID> told = new ArrayList<>();
        one.ledger.onLimitsChanged(told::add);
        for (int i = 0; i < 10; i++) {
            one.ledger.reserveUpTo(user, DAY, 10, 90).block(TIMEOUT);
        }

        one.ledger.setLimits(user, 10, null).block(TIMEOUT);

        assertThat(one.ledger.reserveUpTo(user, DAY, 10, 90).block(TIMEOUT).granted()).isFalse();
        assertThat(told).as("the other replicas are told").containsExactly(user);
    }

    @Test
    void atMidnightANewLeaseStartsTheNewDayAndTheOldOneIsGivenBack() {
        clock.advance(Duration.ofHours(12).minusSeconds(1)); // 23:59:59
        Replica one = replica(SLOW);
        UUID user = H2.newUser();
        DailyQuota quota = new DailyQuota(one.ledger, one.settlements, LIMITS, clock, new SimpleMeterRegistry());
        for (int i = 0; i < 10; i++) {
            one.serveOne(user, quota.today(), 20);
        }
        assertThat(row(one, user).requests()).as("5 of the day's block still free").isEqualTo(15);

        clock.advance(Duration.ofSeconds(2));
        one.serveOne(user, quota.today(), 20);

        assertThat(quota.today()).isEqualTo(DAY.plusDays(1));
        assertThat(one.rows.row(user, DAY.plusDays(1)).block(TIMEOUT).requests()).as("the new day counts from 1").isEqualTo(1);
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(row(one, user))
                .as("the old day's block went back, its usage settled")
                .extracting(QuotaRows.Row::requests, QuotaRows.Row::tokens, QuotaRows.Row::reservedTokens)
                .containsExactly(10L, 200L, 0L));
    }

    @Test
    void pastTheMostLeasesAReplicaHoldsChatsOfFurtherUsersGet503() {
        QuotaProperties two = TestQuotas.limits(1_000, 1_000_000, 90, true, new QuotaProperties.OutageAllowance(20, 20_000),
                new QuotaProperties.Leases(64, 8, Duration.ofHours(1), Duration.ofHours(1), 2));
        QuotaRows rows = new QuotaRows(H2.client, two, new SimpleMeterRegistry());
        QuotaLedger ledger = new QuotaLedger(rows, two, clock);
        ledger.reserveUpTo(H2.newUser(), DAY, 10, 90).block(TIMEOUT);
        ledger.reserveUpTo(H2.newUser(), DAY, 10, 90).block(TIMEOUT);

        StepVerifier.create(ledger.reserveUpTo(H2.newUser(), DAY, 10, 90))
                .expectErrorSatisfies(failure -> {
                    assertThat(((GatewayException) failure).code()).isEqualTo(ErrorCode.OVERLOADED);
                    assertThat(((GatewayException) failure).retryAfter()).isPositive();
                })
                .verify(TIMEOUT);
    }

    /** How many of {@code count} requests, one after the other, the replica grants. */
    private static int granted(Replica replica, UUID user, int count) {
        int granted = 0;
        for (int i = 0; i < count; i++) {
            granted += replica.serveOne(user, 20) ? 1 : 0;
        }
        return granted;
    }

    private static QuotaRows.Row row(Replica replica, UUID user) {
        return replica.rows.row(user, DAY).block(TIMEOUT);
    }

    private Replica replica() {
        return replica(TestQuotas.LEASES);
    }

    private Replica replica(QuotaProperties.Leases leases) {
        QuotaProperties limits = TestQuotas.limits(1_000, 1_000_000, 90, true, new QuotaProperties.OutageAllowance(20, 20_000),
                leases);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        QuotaRows rows = new QuotaRows(H2.client, limits, meters);
        QuotaLedger ledger = new QuotaLedger(rows, limits, clock);
        Settlements settlements = new Settlements(ledger, limits, meters);
        running.add(settlements);
        return new Replica(rows, ledger, settlements, meters);
    }

    /** One replica of the gateway: its own leases and sweep, on the shared database. */
    private record Replica(QuotaRows rows, QuotaLedger ledger, Settlements settlements, SimpleMeterRegistry meters) {

        /** One request that used {@code actual} tokens, settled at once; whether it was granted. */
        boolean serveOne(UUID user, long actual) {
            return serveOne(user, DAY, actual);
        }

        boolean serveOne(UUID user, LocalDate day, long actual) {
            QuotaLedger.Grant grant = ledger.reserveUpTo(user, day, 10, 90).block(TIMEOUT);
            if (grant.granted()) {
                settlements.settle(user, day, 10 + grant.replyTokens(), actual);
            }
            return grant.granted();
        }

        double statements(String statement) {
            return meters.get("sluice.quota.statements").tag("statement", statement).counter().count();
        }

        double statements() {
            return meters.get("sluice.quota.statements").counters().stream().mapToDouble(counter -> counter.count()).sum();
        }
    }
}
