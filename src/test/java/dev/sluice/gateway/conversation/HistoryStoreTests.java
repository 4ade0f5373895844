package dev.sluice.gateway.conversation;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HistoryStoreTests {

    @Test
    void aBatchIsInsertedInSlicesOfDistinctPowersOfTwoLargestFirst() {
        assertThat(HistoryStore.powersOfTwo(13)).containsExactly(8, 4, 1);
        assertThat(HistoryStore.powersOfTwo(200)).containsExactly(128, 64, 8);
        assertThat(HistoryStore.powersOfTwo(1)).containsExactly(1);
    }

    @Test
    void everyBatchSizeAllowedMakesAtMostTenStatementTextsPerTable() {
        Set<Integer> sizes = new HashSet<>();
        for (int n = 1; n <= 1000; n++) {
            List<Integer> slices = HistoryStore.powersOfTwo(n);
            assertThat(slices.stream().mapToInt(Integer::intValue).sum()).as("all %d rows inserted", n).isEqualTo(n);
            assertThat(slices).as("each a power of two, none twice, largest first")
                    .allMatch(size -> Integer.bitCount(size) == 1).doesNotHaveDuplicates()
                    .isSortedAccordingTo((a, b) -> b - a);
            sizes.addAll(slices);
        }
        assertThat(sizes).as("distinct multi-row statements per table, for batch sizes up to 1,000").hasSize(10);
    }
}
