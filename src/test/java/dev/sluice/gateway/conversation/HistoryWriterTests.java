package dev.sluice.gateway.conversation;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.DataAccessResourceFailureException;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;

class HistoryWriterTests {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<HistoryWrite> stored = new CopyOnWriteArrayList<>();
    private final AtomicInteger failuresLeft = new AtomicInteger();

    /** Fails while failuresLeft is positive (the database away), and refuses feedback for good. */
    private final HistoryStore store = new HistoryStore(null) {
        @Override
        Mono<Void> write(List<HistoryWrite> batch) {
            return Mono.defer(() -> {
                if (failuresLeft.getAndDecrement() > 0) {
                    return Mono.error(new DataAccessResourceFailureException("database away"));
                }
                if (batch.stream().anyMatch(write -> write instanceof HistoryWrite.Feedback)) {
                    return Mono.error(new DataIntegrityViolationException("no such message"));
                }
                stored.addAll(batch);
                return Mono.empty();
            });
        }
    };

    private HistoryWriter writer(int capacity) {
        HistoryWriter writer = new HistoryWriter(store, new HistoryProperties(20, 8000, capacity, 3, Duration.ofMillis(1),
                Duration.ofMillis(5), Duration.ofSeconds(5)), meters);
        writer.start();
        return writer;
    }

    @Test
    void writesAreStoredInTheOrderOfferedAfterRetryingWhileTheDatabaseIsAway() {
        failuresLeft.set(5);
        HistoryWriter writer = writer(100);
        List<HistoryWrite> writes = List.of(message(), message(), message(), message(), message());

        writes.forEach(writer::offer);

        assertThat(writer.flush(Duration.ofSeconds(5))).as("all stored in the end").isTrue();
        assertThat(stored).as("in order, none twice").containsExactlyElementsOf(writes);
        assertThat(meters.counter("sluice.history.retries").count()).isEqualTo(5);
        assertThat(meters.get("sluice.history.backlog").gauge().value()).isZero();
    }

    @Test
    void aFullBufferDropsAndCountsInsteadOfGrowing() {
        failuresLeft.set(Integer.MAX_VALUE);
        HistoryWriter writer = writer(2);

        assertThat(writer.offer(List.of(message(), message()))).isTrue();
        assertThat(writer.offer(message())).as("over the bound").isFalse();

        assertThat(meters.counter("sluice.history.dropped", "reason", "full").count()).isEqualTo(1);
        assertThat(writer.backlog()).isEqualTo(2);
    }

    @Test
    void aRowTheDatabaseRefusesIsDroppedAloneAndTheRestOfItsBatchStored() {
        HistoryWriter writer = writer(100);
        HistoryWrite first = message();
        HistoryWrite last = message();

        writer.offer(List.of(first, new HistoryWrite.Feedback(UUID.randomUUID(), UUID.randomUUID(), 1, null, OffsetDateTime.now()), last));

        assertThat(writer.flush(Duration.ofSeconds(5))).isTrue();
        assertThat(stored).containsExactly(first, last);
        assertThat(meters.counter("sluice.history.dropped", "reason", "rejected").count()).isEqualTo(1);
    }

    @Test
    void stoppingFlushesWhatIsBuffered() {
        failuresLeft.set(3);
        HistoryWriter writer = writer(100);
        writer.offer(message());

        writer.stop();

        assertThat(stored).hasSize(1);
        assertThat(writer.offer(message())).as("no writes after stop").isFalse();
    }

    private static HistoryWrite message() {
        return new HistoryWrite.Message(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID(), "user", "hi", null, null,
                null, null, null, null, null, "ok", null, OffsetDateTime.now());
    }
}
