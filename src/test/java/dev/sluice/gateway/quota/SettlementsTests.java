package dev.sluice.gateway.quota;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataIntegrityViolationException;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.scheduler.VirtualTimeScheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Finished requests credit their lease, and leases are written back when idle; writes that cannot reach the database
 * wait in their lease and are retried, with backoff, until they land; on H2. Leases idle after 100 ms here, swept
 * every 50 ms; settlements back off from 20 ms to 200 ms.
 */
class SettlementsTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final QuotaDatabase H2 = QuotaDatabase.h2();
    private static final QuotaProperties LIMITS = TestQuotas.limits(100, 100_000, 90, true);
    private static final LocalDate DAY = LocalDate.of(2030, 6, 1);

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    /** When each give-back was tried, on the sweep's scheduler. */
    private final List<Long> tries = new CopyOnWriteArrayList<>();
    private volatile RuntimeException failure;
    private final QuotaRows rows = new QuotaRows(H2.client, LIMITS, meters) {
        @Override
        Mono<Void> giveBack(UUID user, LocalDate day, long requests, long released, long used, long until) {
            tries.add(Schedulers.parallel().now(TimeUnit.MILLISECONDS));
            RuntimeException now = failure;
            return now == null ? super.giveBack(user, day, requests, released, used, until) : Mono.error(now);
        }
    };
    private final QuotaLedger ledger = new QuotaLedger(rows, LIMITS, Clock.systemUTC());
    private Settlements settlements;

    @AfterEach
    void stop() {
        failure = null;
        if (settlements != null) {
            settlements.drain();
        }
        VirtualTimeScheduler.reset();
    }

    @Test
    void anEndedRequestIsChargedItsRealUsageOnceItsLeaseGoesIdle() {
        settlements = new Settlements(ledger, LIMITS, meters);
        UUID user = H2.newUser();

        QuotaLedger.Grant grant = ledger.reserveUpTo(user, DAY, 10, 90).block(TIMEOUT);
        settlements.settle(user, DAY, 10 + grant.replyTokens(), 42);
        assertThat(settlements.pending()).as("credited to the lease, not written yet").isEqualTo(1);

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(settlements.pending()).isZero());
        QuotaRows.Row row = rows.row(user, DAY).block(TIMEOUT);
        assertThat(row.tokens()).isEqualTo(42);
        assertThat(row.reservedTokens()).as("nothing stays held").isZero();
        assertThat(row.requests()).isEqualTo(1);
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(ledger.leases()).as("an idle lease holding nothing is dropped").isEmpty());
    }

    @Test
    void settlementsThatCannotReachTheDatabaseWaitAsLongAsItIsAwayAndAllLandOnceItIsBack() {
        settlements = new Settlements(ledger, LIMITS, meters);
        UUID user = H2.newUser();
        List<QuotaLedger.Grant> grants = reserve(user, 5);
        failure = new DataAccessResourceFailureException("connection refused");

        for (int i = 0; i < 5; i++) {
            settlements.settle(user, DAY, 10 + grants.get(i).replyTokens(), 10 + i);
        }
        // Far more tries than the three retries that used to give up: the outage outlasts any fixed count.
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(meters.get("sluice.quota.settlements.retries").counter().count())
                .isGreaterThanOrEqualTo(8));
        assertThat(settlements.pending()).as("none given up").isEqualTo(5);
        assertThat(meters.get("sluice.quota.settlements.pending").gauge().value()).isEqualTo(5);
        assertThat(meters.get("sluice.quota.settlements.failed").tag("reason", "error").counter().count()).isZero();
        failure = null;

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(settlements.pending()).isZero());
        QuotaRows.Row row = rows.row(user, DAY).block(TIMEOUT);
        assertThat(row.reservedTokens()).as("nothing stays reserved").isZero();
        assertThat(row.tokens()).as("each landed once: 10 + 11 + 12 + 13 + 14").isEqualTo(60);
        assertThat(row.requests()).as("and the block's unused requests went back").isEqualTo(5);
    }

    @Test
    void retriesBackOffTwiceAsLongEachTimeUpToTheMaximumWhileTheDatabaseStaysAway() {
        VirtualTimeScheduler time = VirtualTimeScheduler.getOrSet();
        settlements = new Settlements(ledger, LIMITS, meters);
        UUID user = H2.newUser();
        QuotaLedger.Grant grant = ledger.reserveUpTo(user, DAY, 10, 90).block(TIMEOUT);
        failure = new DataAccessResourceFailureException("connection refused");
        settlements.settle(user, DAY, 10 + grant.replyTokens(), 10);

        for (int step = 0; step < 200 && tries.size() < 8; step++) {
            time.advanceTimeBy(Duration.ofMillis(10));
        }

        assertThat(tries).hasSize(8);
        // Each wait at least the backoff (20, 40, 80, 160, then 200 ms), and at most one sweep (50 ms) longer.
        long[] backoffs = {20, 40, 80, 160, 200, 200, 200};
        for (int i = 0; i < backoffs.length; i++) {
            assertThat(tries.get(i + 1) - tries.get(i)).as("wait " + (i + 1)).isBetween(backoffs[i], backoffs[i] + 50);
        }
        failure = null;
        time.advanceTimeBy(Duration.ofMillis(300));
        assertThat(settlements.pending()).isZero();
    }

    @Test
    void aSettlementTheDatabaseRefusesForGoodIsCountedAndNotRetried() {
        settlements = new Settlements(ledger, LIMITS, meters);
        UUID user = H2.newUser();
        QuotaLedger.Grant grant = ledger.reserveUpTo(user, DAY, 10, 90).block(TIMEOUT);
        failure = new DataIntegrityViolationException("no such row");

        settlements.settle(user, DAY, 10 + grant.replyTokens(), 10);

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(settlements.pending()).isZero());
        assertThat(meters.get("sluice.quota.settlements.failed").tag("reason", "error").counter().count()).isEqualTo(1);
        await().during(Duration.ofMillis(300)).atMost(TIMEOUT).until(() -> tries.size() == 1);
    }

    @Test
    void shutdownGivesEveryLeaseBack() {
        settlements = new Settlements(ledger, TestQuotas.limits(100, 100_000, 90, true,
                new QuotaProperties.OutageAllowance(20, 20_000), new QuotaProperties.Leases(64, 8, Duration.ofHours(1),
                        Duration.ofHours(1), 1_000)), meters);
        UUID user = H2.newUser();
        List<QuotaLedger.Grant> grants = reserve(user, 10);
        for (QuotaLedger.Grant grant : grants) {
            settlements.settle(user, DAY, 10 + grant.replyTokens(), 7);
        }
        assertThat(rows.row(user, DAY).block(TIMEOUT).requests()).as("an hour from idle: the lease holds a block").isGreaterThan(10);

        settlements.drain();

        QuotaRows.Row row = rows.row(user, DAY).block(TIMEOUT);
        assertThat(row.requests()).isEqualTo(10);
        assertThat(row.tokens()).isEqualTo(70);
        assertThat(row.reservedTokens()).isZero();
        assertThat(settlements.pending()).isZero();
    }

    /** {@code count} requests one after the other, each granted. */
    private List<QuotaLedger.Grant> reserve(UUID user, int count) {
        List<QuotaLedger.Grant> grants = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            QuotaLedger.Grant grant = ledger.reserveUpTo(user, DAY, 10, 90).block(TIMEOUT);
            assertThat(grant.granted()).isTrue();
            grants.add(grant);
        }
        return grants;
    }
}
