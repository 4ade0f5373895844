package dev.sluice.gateway.quota;

import java.time.Duration;
import java.time.LocalDate;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import dev.sluice.gateway.testing.GlobalVirtualTime;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataIntegrityViolationException;
import reactor.core.publisher.Mono;
import reactor.test.scheduler.VirtualTimeScheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Settlements that cannot reach the database wait and are retried, with backoff, until they land; on H2. */
@GlobalVirtualTime
class SettlementsTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final QuotaDatabase H2 = QuotaDatabase.h2();
    private static final QuotaProperties LIMITS = TestQuotas.limits(100, 100_000, 100, true);
    private static final LocalDate DAY = LocalDate.of(2030, 6, 1);

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final AtomicInteger tries = new AtomicInteger();
    private volatile RuntimeException failure;
    private final QuotaLedger ledger = new QuotaLedger(H2.client, LIMITS) {
        @Override
        Mono<Void> settle(UUID user, LocalDate day, long unused, long estimate, long actual) {
            tries.incrementAndGet();
            RuntimeException now = failure;
            return now == null ? super.settle(user, day, unused, estimate, actual) : Mono.error(now);
        }
    };
    private final Settlements settlements = new Settlements(ledger, LIMITS, meters);

    @Test
    void settlementsThatCannotReachTheDatabaseWaitAsLongAsItIsAwayAndAllLandOnceItIsBack() {
        UUID user = H2.newUser();
        for (int i = 0; i < 5; i++) {
            ledger.reserve(user, DAY, 100).block(TIMEOUT);
        }
        failure = new DataAccessResourceFailureException("connection refused");

        for (int i = 0; i < 5; i++) {
            settlements.settle(user, DAY, 0, 100, 10 + i);
        }
        // Far more tries than the three retries that used to give up: the outage outlasts any fixed count.
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(meters.get("sluice.quota.settlements.retries").counter().count())
                .isGreaterThanOrEqualTo(30));
        assertThat(settlements.pending()).as("none given up").isEqualTo(5);
        assertThat(meters.get("sluice.quota.settlements.pending").gauge().value()).isEqualTo(5);
        assertThat(meters.get("sluice.quota.settlements.failed").tag("reason", "error").counter().count()).isZero();
        failure = null;

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(settlements.pending()).isZero());
        QuotaLedger.DailyUsage usage = ledger.usage(user, DAY).block(TIMEOUT);
        assertThat(usage.reservedTokens()).as("nothing stays reserved").isZero();
        assertThat(usage.tokens()).as("each landed once: 10 + 11 + 12 + 13 + 14").isEqualTo(60);
    }

    @Test
    void retriesBackOffTwiceAsLongEachTimeUpToTheMaximumWhileTheDatabaseStaysAway() {
        UUID user = H2.newUser();
        failure = new DataAccessResourceFailureException("connection refused");
        VirtualTimeScheduler time = VirtualTimeScheduler.getOrSet();
        try {
            settlements.settle(user, DAY, 0, 100, 10);
            assertThat(tries).as("written at once").hasValue(1);

            // 20 ms, then 40, 80, 160, and 200 (the maximum) from then on.
            for (long wait : new long[] {20, 40, 80, 160, 200, 200}) {
                int before = tries.get();
                time.advanceTimeBy(Duration.ofMillis(wait - 1));
                assertThat(tries).as("no try before " + wait + " ms").hasValue(before);
                time.advanceTimeBy(Duration.ofMillis(1));
                assertThat(tries).as("one try after " + wait + " ms").hasValue(before + 1);
            }
            failure = null;
            time.advanceTimeBy(Duration.ofMillis(200));
        }
        finally {
            VirtualTimeScheduler.reset();
        }
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(settlements.pending()).isZero());
    }

    @Test
    void aSettlementTheDatabaseRefusesForGoodIsCountedAndNotRetried() {
        UUID user = H2.newUser();
        failure = new DataIntegrityViolationException("no such row");

        settlements.settle(user, DAY, 0, 100, 10);

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(settlements.pending()).isZero());
        assertThat(meters.get("sluice.quota.settlements.failed").tag("reason", "error").counter().count()).isEqualTo(1);
        assertThat(tries).as("an UPDATE that may have run is not run twice").hasValue(1);
    }
}
