package dev.sluice.gateway.quota;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the quota's SQL must do on every database Sluice runs on; one subclass per database. Limits here are small
 * defaults (5 requests, 1,000 tokens a day) so that tests reach them quickly.
 */
abstract class QuotaLedgerContract {

    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final QuotaProperties DEFAULTS = TestQuotas.limits(5, 1_000, 100, true);
    static final LocalDate DAY = LocalDate.of(2030, 6, 1);
    private static final long NO_EXPIRY = Long.MAX_VALUE;

    private final QuotaDatabase database;
    private final QuotaRows rows;

    QuotaLedgerContract(QuotaDatabase database) {
        this.database = database;
        this.rows = new QuotaRows(database.client, DEFAULTS, new SimpleMeterRegistry());
    }

    @Test
    void takesAreGrantedUpToTheDailyRequestLimitAndRefusedPastIt() {
        UUID user = newUserWithOpenDay();

        List<Boolean> answers = Flux.range(0, 7).concatMap(i -> rows.take(user, DAY, request(10))).collectList().block(TIMEOUT);

        assertThat(answers).as("5 requests a day by default").containsExactly(true, true, true, true, true, false, false);
        QuotaRows.Row row = row(user, DAY);
        assertThat(row.requests()).as("refusals are not counted").isEqualTo(5);
        assertThat(row.reservedTokens()).as("five estimates of 10 held").isEqualTo(50);
    }

    @Test
    void aTakeOnADayWithoutItsRowIsRefusedUntilTheDayIsOpened() {
        UUID user = database.newUser();

        assertThat(rows.take(user, DAY, request(10)).block(TIMEOUT)).isFalse();
        rows.openDay(user, DAY).block(TIMEOUT);
        rows.openDay(user, DAY).block(TIMEOUT);

        assertThat(rows.take(user, DAY, request(10)).block(TIMEOUT)).as("opening twice is harmless").isTrue();
        assertThat(row(user, DAY).requests()).isEqualTo(1);
    }

    @Test
    void aTakeWhoseTokensWouldPassTheLimitIsRefusedAndHoldsNothing() {
        UUID user = newUserWithOpenDay();

        assertThat(rows.take(user, DAY, request(600)).block(TIMEOUT)).isTrue();
        assertThat(rows.take(user, DAY, request(401)).block(TIMEOUT)).as("600 held + 401 > 1,000").isFalse();
        assertThat(rows.take(user, DAY, request(400)).block(TIMEOUT)).as("600 held + 400 fits exactly").isTrue();

        QuotaRows.Row row = row(user, DAY);
        assertThat(row.requests()).isEqualTo(2);
        assertThat(row.reservedTokens()).isEqualTo(1_000);
    }

    @Test
    void theBlockBeyondTheWaitingRequestsMustFitShareTimesOver() {
        UUID user = newUserWithOpenDay();

        // 1 waiting + 2 extra, where the extra counts twice (share 2): 1 + 2 * 2 = 5 of 5.
        assertThat(rows.take(user, DAY, new QuotaRows.Change(3, 2, 30, 20, 0, 2, NO_EXPIRY)).block(TIMEOUT)).isTrue();
        assertThat(rows.take(user, DAY, new QuotaRows.Change(2, 1, 20, 10, 0, 2, NO_EXPIRY)).block(TIMEOUT))
                .as("3 + 1 + 1 * 2 > 5").isFalse();
        assertThat(rows.take(user, DAY, new QuotaRows.Change(1, 0, 10, 0, 0, 2, NO_EXPIRY)).block(TIMEOUT))
                .as("the waiting request alone fits exactly").isTrue();
        assertThat(row(user, DAY).requests()).isEqualTo(4);
    }

    @Test
    void aGiveBackReturnsWhatWasHeldAndChargesTheRealUsage() {
        UUID user = newUserWithOpenDay();
        rows.take(user, DAY, new QuotaRows.Change(3, 0, 600, 0, 0, 1, NO_EXPIRY)).block(TIMEOUT);

        // One request used 120 of its 200; two were never used.
        rows.giveBack(user, DAY, 2, 600, 120, 0).block(TIMEOUT);

        QuotaRows.Row row = row(user, DAY);
        assertThat(row.requests()).as("the one let through").isEqualTo(1);
        assertThat(row.tokens()).as("the real usage is charged").isEqualTo(120);
        assertThat(row.reservedTokens()).as("nothing held").isZero();
        assertThat(rows.take(user, DAY, new QuotaRows.Change(4, 0, 880, 0, 0, 1, NO_EXPIRY)).block(TIMEOUT))
                .as("1 + 4 requests and 120 + 880 tokens: the day exactly").isTrue();
    }

    @Test
    void aTakeSettlesTheUsageOfEndedRequestsAsItTakesMore() {
        UUID user = newUserWithOpenDay();
        rows.take(user, DAY, request(300)).block(TIMEOUT);

        // The request ended having used 250 of its 300; the next one holds 300.
        assertThat(rows.take(user, DAY, new QuotaRows.Change(1, 0, 300, 0, 250, 1, NO_EXPIRY)).block(TIMEOUT)).isTrue();

        QuotaRows.Row row = row(user, DAY);
        assertThat(row.tokens()).isEqualTo(250);
        assertThat(row.reservedTokens()).as("the 50 it did not use stay free in the lease, and the new 300").isEqualTo(350);
    }

    @Test
    void aGiveBackLandsEvenPastTheLimitWhenTheRealUsageOutgrewTheEstimate() {
        UUID user = newUserWithOpenDay();
        rows.take(user, DAY, request(10)).block(TIMEOUT);

        rows.giveBack(user, DAY, 0, 10, 1_200, 0).block(TIMEOUT);

        assertThat(row(user, DAY).tokens()).isEqualTo(1_200);
        assertThat(rows.take(user, DAY, request(1)).block(TIMEOUT)).as("1,200 used of 1,000").isFalse();
    }

    @Test
    void aNewUtcDayStartsFromZero() {
        UUID user = newUserWithOpenDay();
        Flux.range(0, 5).concatMap(i -> rows.take(user, DAY, request(10))).blockLast(TIMEOUT);
        assertThat(rows.take(user, DAY, request(10)).block(TIMEOUT)).isFalse();

        rows.openDay(user, DAY.plusDays(1)).block(TIMEOUT);
        assertThat(rows.take(user, DAY.plusDays(1), request(10)).block(TIMEOUT)).as("the next day has its own row").isTrue();
        assertThat(row(user, DAY.plusDays(1)).requests()).isEqualTo(1);
        assertThat(row(user, DAY).requests()).as("yesterday's row is left as it was").isEqualTo(5);
    }

    @Test
    void aUsersOwnLimitsWinOverTheDefaultsAndNullRestoresThem() {
        UUID user = newUserWithOpenDay();

        assertThat(rows.setLimits(user, 2, 5_000L).block(TIMEOUT)).isTrue();
        List<Boolean> answers = Flux.range(0, 3).concatMap(i -> rows.take(user, DAY, request(2_000))).collectList().block(TIMEOUT);
        assertThat(answers).as("2 requests, and 2,000 tokens each fit in 5,000").containsExactly(true, true, false);

        rows.setLimits(user, null, null).block(TIMEOUT);
        QuotaRows.Row row = row(user, DAY);
        assertThat(row.requestLimit()).isEqualTo(5);
        assertThat(row.tokenLimit()).isEqualTo(1_000);
        assertThat(rows.take(user, DAY, request(1)).block(TIMEOUT)).as("4,000 held is over the default of 1,000").isFalse();
    }

    @Test
    void limitsOfAnUnknownUserCannotBeSet() {
        assertThat(rows.setLimits(UUID.randomUUID(), 1, 1L).block(TIMEOUT)).isFalse();
        assertThat(rows.row(UUID.randomUUID(), DAY).blockOptional(TIMEOUT)).isEmpty();
    }

    @Test
    void whatALeaseThatStoppedWritingHeldIsReportedAsUsedOnceItExpires() {
        UUID user = newUserWithOpenDay();
        rows.take(user, DAY, new QuotaRows.Change(3, 0, 600, 0, 0, 1, 1_000)).block(TIMEOUT);

        QuotaRows.Row row = row(user, DAY);
        assertThat(row.usage(999).reservedTokens()).as("held while the lease lives").isEqualTo(600);
        QuotaLedger.DailyUsage expired = row.usage(1_001);
        assertThat(expired.reservedTokens()).as("its holder crashed: nobody will give it back").isZero();
        assertThat(expired.tokens()).as("and nobody knows how much was used: all of it, never free").isEqualTo(600);
        assertThat(expired.requests()).isEqualTo(3);
    }

    @Test
    void manyParallelTakesForOneUserStopExactlyAtTheRequestLimit() {
        UUID user = newUserWithOpenDay();
        rows.setLimits(user, 40, 1_000_000L).block(TIMEOUT);

        long granted = Flux.range(0, 400)
                // On worker threads: H2 runs its statements on the calling thread and may wait for row locks there.
                .flatMap(i -> rows.take(user, DAY, request(10)).subscribeOn(Schedulers.boundedElastic()), 64)
                .filter(taken -> taken)
                .count()
                .block(TIMEOUT);

        assertThat(granted).as("exactly the limit, however the 400 interleave").isEqualTo(40);
        assertThat(row(user, DAY).requests()).isEqualTo(40);
    }

    @Test
    void manyParallelTakesForOneUserStopExactlyAtTheTokenLimit() {
        UUID user = newUserWithOpenDay();
        rows.setLimits(user, 1_000, 2_500L).block(TIMEOUT);

        long granted = Flux.range(0, 400)
                .flatMap(i -> rows.take(user, DAY, request(100)).subscribeOn(Schedulers.boundedElastic()), 64)
                .filter(taken -> taken)
                .count()
                .block(TIMEOUT);

        assertThat(granted).as("25 estimates of 100 fill 2,500 exactly").isEqualTo(25);
        assertThat(row(user, DAY).reservedTokens()).isEqualTo(2_500);
    }

    @Test
    void twoReplicasLeasingInBlocksLetAUserThroughExactlyTheDailyLimit() {
        UUID user = database.newUser();
        rows.setLimits(user, 300, 10_000_000L).block(TIMEOUT);
        QuotaLedger one = new QuotaLedger(rows, DEFAULTS, Clock.systemUTC());
        QuotaLedger two = new QuotaLedger(rows, DEFAULTS, Clock.systemUTC());

        List<QuotaLedger.Grant> grants = Flux.range(0, 900)
                .flatMap(i -> (i % 2 == 0 ? one : two).reserveUpTo(user, DAY, 10, 90)
                        .subscribeOn(Schedulers.boundedElastic()), 64)
                .collectList()
                .block(TIMEOUT);

        assertThat(grants).as("exactly the limit, over both replicas' blocks").filteredOn(QuotaLedger.Grant::granted).hasSize(300);
        assertThat(grants).filteredOn(grant -> !grant.granted())
                .allSatisfy(refused -> assertThat(refused.refusedBy().requestsUsedUp()).isTrue());
        assertThat(row(user, DAY).requests()).as("every request held is one let through").isEqualTo(300);
    }

    @Test
    void theUsageReportPagesThroughEveryoneByCursor() {
        // A day of its own, far ahead: the PostgreSQL is shared with other runs.
        LocalDate day = LocalDate.of(2100, 1, 1).plusDays(ThreadLocalRandom.current().nextInt(1_000_000));
        for (int i = 0; i < 5; i++) {
            UUID user = database.newUser();
            rows.openDay(user, day).block(TIMEOUT);
            rows.take(user, day, request(10)).block(TIMEOUT);
        }

        List<QuotaLedger.UserUsage> first = rows.usageOn(day, null, 3, 0).collectList().block(TIMEOUT);
        List<QuotaLedger.UserUsage> rest = rows.usageOn(day, first.get(2).userId(), 3, 0).collectList().block(TIMEOUT);

        assertThat(first).hasSize(3);
        assertThat(rest).as("the two after the cursor").hasSize(2);
        assertThat(first).extracting(QuotaLedger.UserUsage::userId).doesNotContainAnyElementsOf(
                rest.stream().map(QuotaLedger.UserUsage::userId).toList());
        assertThat(first.get(0).email()).startsWith("quota-");
        assertThat(first.get(0).requests()).isEqualTo(1);
        assertThat(first.get(0).reservedTokens()).isEqualTo(10);
    }

    /** One request holding {@code tokens}, nothing extra, nothing settled. */
    private static QuotaRows.Change request(long tokens) {
        return new QuotaRows.Change(1, 0, tokens, 0, 0, 1, NO_EXPIRY);
    }

    private UUID newUserWithOpenDay() {
        UUID user = database.newUser();
        rows.openDay(user, DAY).block(TIMEOUT);
        return user;
    }

    private QuotaRows.Row row(UUID user, LocalDate day) {
        return rows.row(user, day).block(TIMEOUT);
    }
}
