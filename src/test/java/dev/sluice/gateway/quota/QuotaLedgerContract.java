package dev.sluice.gateway.quota;

import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

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

    private final QuotaDatabase database;
    private final QuotaLedger ledger;

    QuotaLedgerContract(QuotaDatabase database) {
        this.database = database;
        this.ledger = new QuotaLedger(database.client, DEFAULTS);
    }

    @Test
    void reservationsAreGrantedUpToTheDailyRequestLimitAndRefusedPastIt() {
        UUID user = database.newUser();

        List<Boolean> answers = Flux.range(0, 7).concatMap(i -> ledger.reserve(user, DAY, 10)).collectList().block(TIMEOUT);

        assertThat(answers).as("5 requests a day by default").containsExactly(true, true, true, true, true, false, false);
        QuotaLedger.DailyUsage usage = usage(user, DAY);
        assertThat(usage.requests()).as("refusals are not counted").isEqualTo(5);
        assertThat(usage.reservedTokens()).as("five estimates of 10 held").isEqualTo(50);
    }

    @Test
    void aReservationWhoseTokensWouldPassTheLimitIsRefusedAndHoldsNothing() {
        UUID user = database.newUser();

        assertThat(ledger.reserve(user, DAY, 600).block(TIMEOUT)).isTrue();
        assertThat(ledger.reserve(user, DAY, 401).block(TIMEOUT)).as("600 held + 401 > 1,000").isFalse();
        assertThat(ledger.reserve(user, DAY, 400).block(TIMEOUT)).as("600 held + 400 fits exactly").isTrue();

        QuotaLedger.DailyUsage usage = usage(user, DAY);
        assertThat(usage.requests()).isEqualTo(2);
        assertThat(usage.reservedTokens()).isEqualTo(1_000);
    }

    @Test
    void settlingReleasesTheEstimateAndChargesTheRealUsage() {
        UUID user = database.newUser();
        ledger.reserve(user, DAY, 300).block(TIMEOUT);
        ledger.reserve(user, DAY, 300).block(TIMEOUT);

        ledger.settle(user, DAY, 0, 300, 120).block(TIMEOUT);

        QuotaLedger.DailyUsage usage = usage(user, DAY);
        assertThat(usage.tokens()).as("the real usage is charged").isEqualTo(120);
        assertThat(usage.reservedTokens()).as("only the other request's estimate is still held").isEqualTo(300);
        assertThat(ledger.reserve(user, DAY, 580).block(TIMEOUT)).as("120 used + 300 held + 580 = 1,000").isTrue();
    }

    @Test
    void settledTokensCountAgainstTheLimitEvenWhenTheEstimateWasLow() {
        UUID user = database.newUser();
        ledger.reserve(user, DAY, 10).block(TIMEOUT);

        ledger.settle(user, DAY, 0, 10, 995).block(TIMEOUT);

        assertThat(ledger.reserve(user, DAY, 10).block(TIMEOUT)).as("995 used + 10 > 1,000").isFalse();
    }

    @Test
    void aNewUtcDayStartsFromZero() {
        UUID user = database.newUser();
        Flux.range(0, 5).concatMap(i -> ledger.reserve(user, DAY, 10)).blockLast(TIMEOUT);
        assertThat(ledger.reserve(user, DAY, 10).block(TIMEOUT)).isFalse();

        assertThat(ledger.reserve(user, DAY.plusDays(1), 10).block(TIMEOUT)).as("the next day has its own row").isTrue();
        assertThat(usage(user, DAY.plusDays(1)).requests()).isEqualTo(1);
        assertThat(usage(user, DAY).requests()).as("yesterday's row is left as it was").isEqualTo(5);
    }

    @Test
    void aUsersOwnLimitsWinOverTheDefaultsAndNullRestoresThem() {
        UUID user = database.newUser();

        assertThat(ledger.setLimits(user, 2, 5_000L).block(TIMEOUT)).isTrue();
        List<Boolean> answers = Flux.range(0, 3).concatMap(i -> ledger.reserve(user, DAY, 2_000)).collectList().block(TIMEOUT);
        assertThat(answers).as("2 requests, and 2,000 tokens each fit in 5,000").containsExactly(true, true, false);

        ledger.setLimits(user, null, null).block(TIMEOUT);
        QuotaLedger.DailyUsage usage = usage(user, DAY);
        assertThat(usage.requestLimit()).isEqualTo(5);
        assertThat(usage.tokenLimit()).isEqualTo(1_000);
        assertThat(ledger.reserve(user, DAY, 1).block(TIMEOUT)).as("4,000 held is over the default of 1,000").isFalse();
    }

    @Test
    void limitsOfAnUnknownUserCannotBeSet() {
        assertThat(ledger.setLimits(UUID.randomUUID(), 1, 1L).block(TIMEOUT)).isFalse();
        assertThat(ledger.usage(UUID.randomUUID(), DAY).blockOptional(TIMEOUT)).isEmpty();
    }

    @Test
    void manyParallelReservationsForOneUserStopExactlyAtTheRequestLimit() {
        UUID user = database.newUser();
        ledger.setLimits(user, 40, 1_000_000L).block(TIMEOUT);

        // A fresh day: the first requests also race to open the day's row.
        long granted = parallelReservations(user, 400, 10);

        assertThat(granted).as("exactly the limit, however the 400 interleave").isEqualTo(40);
        assertThat(usage(user, DAY).requests()).isEqualTo(40);
    }

    @Test
    void manyParallelReservationsForOneUserStopExactlyAtTheTokenLimit() {
        UUID user = database.newUser();
        ledger.setLimits(user, 1_000, 2_500L).block(TIMEOUT);

        long granted = parallelReservations(user, 400, 100);

        assertThat(granted).as("25 estimates of 100 fill 2,500 exactly").isEqualTo(25);
        assertThat(usage(user, DAY).reservedTokens()).isEqualTo(2_500);
    }

    @Test
    void aReservationUpToAReplyCapGetsTheWholeCapWhenItFits() {
        UUID user = database.newUser();

        QuotaLedger.Grant grant = ledger.reserveUpTo(user, DAY, 100, 300).block(TIMEOUT);

        assertThat(grant.replyTokens()).isEqualTo(300);
        assertThat(usage(user, DAY).reservedTokens()).as("the prompt and the whole cap").isEqualTo(400);
    }

    @Test
    void aReplyCapThatDoesNotFitShrinksToWhatIsLeftAfterThePrompt() {
        UUID user = database.newUser();
        ledger.reserve(user, DAY, 700).block(TIMEOUT);

        QuotaLedger.Grant grant = ledger.reserveUpTo(user, DAY, 100, 1_000).block(TIMEOUT);

        assertThat(grant.replyTokens()).as("1,000 - 700 held - 100 prompt").isEqualTo(200);
        assertThat(usage(user, DAY).reservedTokens()).as("the day's limit, exactly").isEqualTo(1_000);
        assertThat(usage(user, DAY).requests()).isEqualTo(2);
    }

    @Test
    void aPromptThatLeavesNoRoomForOneReplyTokenIsRefusedWithTheCountsThatRefusedIt() {
        UUID user = database.newUser();
        ledger.reserve(user, DAY, 900).block(TIMEOUT);

        QuotaLedger.Grant grant = ledger.reserveUpTo(user, DAY, 100, 50).block(TIMEOUT);

        assertThat(grant.granted()).as("900 held + 100 prompt leaves nothing for a reply").isFalse();
        assertThat(grant.refusedBy().reservedTokens()).isEqualTo(900);
        assertThat(usage(user, DAY).requests()).as("a refusal counts no request").isEqualTo(1);
    }

    @Test
    void manyParallelReservationsUpToACapNeverHoldMoreThanTheTokenLimit() {
        UUID user = database.newUser();
        ledger.setLimits(user, 1_000, 2_550L).block(TIMEOUT);

        List<QuotaLedger.Grant> grants = Flux.range(0, 200)
                .flatMap(i -> ledger.reserveUpTo(user, DAY, 10, 90).subscribeOn(Schedulers.boundedElastic()), 64)
                .filter(QuotaLedger.Grant::granted)
                .collectList()
                .block(TIMEOUT);

        long held = grants.stream().mapToLong(grant -> 10 + grant.replyTokens()).sum();
        assertThat(usage(user, DAY).reservedTokens()).as("what the grants say they hold").isEqualTo(held);
        assertThat(held).as("never past the limit, however they interleave").isLessThanOrEqualTo(2_550);
        assertThat(grants).as("25 whole caps, then the 50 left as a smaller one, at most")
                .filteredOn(grant -> grant.replyTokens() < 90).hasSizeLessThanOrEqualTo(1);
    }

    @Test
    void theUsageReportPagesThroughEveryoneByCursor() {
        // A day of its own, far ahead: the PostgreSQL is shared with other runs.
        LocalDate day = LocalDate.of(2100, 1, 1).plusDays(ThreadLocalRandom.current().nextInt(1_000_000));
        for (int i = 0; i < 5; i++) {
            ledger.reserve(database.newUser(), day, 10).block(TIMEOUT);
        }

        List<QuotaLedger.UserUsage> first = ledger.usageOn(day, null, 3).collectList().block(TIMEOUT);
        List<QuotaLedger.UserUsage> rest = ledger.usageOn(day, first.get(2).userId(), 3).collectList().block(TIMEOUT);

        assertThat(first).hasSize(3);
        assertThat(rest).as("the two after the cursor").hasSize(2);
        assertThat(first).extracting(QuotaLedger.UserUsage::userId).doesNotContainAnyElementsOf(
                rest.stream().map(QuotaLedger.UserUsage::userId).toList());
        assertThat(first.get(0).email()).startsWith("quota-");
        assertThat(first.get(0).requests()).isEqualTo(1);
    }

    /** Reservations all at once over the pool's connections; how many were granted. */
    private long parallelReservations(UUID user, int count, long estimate) {
        return Flux.range(0, count)
                // On worker threads: H2 runs its statements on the calling thread and may wait for row locks there.
                .flatMap(i -> ledger.reserve(user, DAY, estimate).subscribeOn(Schedulers.boundedElastic()), 64)
                .filter(granted -> granted)
                .count()
                .block(TIMEOUT);
    }

    private QuotaLedger.DailyUsage usage(UUID user, LocalDate day) {
        return ledger.usage(user, day).block(TIMEOUT);
    }
}
