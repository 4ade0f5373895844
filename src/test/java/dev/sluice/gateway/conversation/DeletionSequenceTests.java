package dev.sluice.gateway.conversation;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DeletionSequenceTests {

    private final DeletionSequence sequence = new DeletionSequence();

    @Test
    void deletionsSeenInAnyOrderLeaveNothingMissed() {
        assertThat(sequence.missed(10)).as("the first count is where counting starts").isFalse();
        sequence.seen(12);
        sequence.seen(11);

        assertThat(sequence.missed(12)).isFalse();
        assertThat(sequence.missed(12)).as("all seen, however they arrived").isFalse();
    }

    @Test
    void aDeletionStillUnseenAWholeCheckAfterItWasCountedWasMissed() {
        sequence.missed(10);
        sequence.seen(12);

        assertThat(sequence.missed(12)).as("11 may still be on its way").isFalse();
        assertThat(sequence.missed(12)).as("a check later it is lost").isTrue();
        assertThat(sequence.missed(12)).as("and counted as missed once").isFalse();
    }

    @Test
    void aCountBelowWhatWasSeenMeansRedisLostItAndCountingStartsAgain() {
        sequence.missed(10);

        assertThat(sequence.missed(0)).as("Redis restarted empty: what happened meanwhile is unknown").isTrue();
        sequence.seen(1);
        assertThat(sequence.missed(1)).isFalse();
    }

    @Test
    void tooManyDeletionsPastAGapCountAsMissingIt() {
        sequence.missed(0);
        boolean kept = true;
        for (long number = 2; number <= DeletionSequence.MAX_AHEAD + 2; number++) {
            kept &= sequence.seen(number);
        }

        assertThat(kept).as("1 never came, and the rest are more than it waits for").isFalse();
        assertThat(sequence.missed(DeletionSequence.MAX_AHEAD + 2)).isFalse();
    }
}
