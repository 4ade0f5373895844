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
import org.springframework.util.unit.DataSize;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

import static org.assertj.core.api.Assertions.assertThat;

class HistoryWriterTests {

    static {
        // The writer stores on Reactor's parallel threads, where BlockHound refuses the jar read of Reactor's first
        // retry operator initialising its context-propagation support; in the application that happens at startup.
        Mono.empty().retryWhen(Retry.max(1)).block();
    }

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<HistoryWrite> stored = new CopyOnWriteArrayList<>();
    private final AtomicInteger failuresLeft = new AtomicInteger();

    private final AtomicInteger statements = new AtomicInteger();

    /**
     * Fails while failuresLeft is positive (the database away), refuses feedback for good, and refuses what
     * PostgreSQL refuses: a NUL in text, a model name longer than its column.
     */
    private final HistoryStore store = new HistoryStore(null) {
        @Override
        Mono<Void> write(List<HistoryWrite> batch) {
            return Mono.defer(() -> {
                statements.incrementAndGet();
                if (failuresLeft.getAndDecrement() > 0) {
                    return Mono.error(new DataAccessResourceFailureException("database away"));
                }
                if (batch.stream().anyMatch(write -> write instanceof HistoryWrite.Feedback)) {
                    return Mono.error(new DataIntegrityViolationException("no such message"));
                }
                if (batch.stream().anyMatch(write -> write instanceof HistoryWrite.Message message
                        && (message.content().contains("\0") || message.model() != null
                        && message.model().codePointCount(0, message.model().length()) > 200))) {
                    return Mono.error(new DataIntegrityViolationException("invalid byte sequence, or value too long"));
                }
                stored.addAll(batch);
                return Mono.empty();
            });
        }
    };

    private HistoryWriter writer(int capacity) {
        return writer(capacity, DataSize.ofMegabytes(1), 1);
    }

    private HistoryWriter writer(int rows, DataSize bytes, double perUserShare) {
        return writer(rows, bytes, perUserShare, Duration.ZERO);
    }

    private HistoryWriter writer(int rows, DataSize bytes, double perUserShare, Duration linger) {
        HistoryWriter writer = new HistoryWriter(store, new HistoryProperties(20, 8000, rows, bytes, perUserShare, 3,
                linger, Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofSeconds(5), Duration.ofSeconds(1)), meters);
        writer.start();
        return writer;
    }

    @Test
    void writesOfferedToAnIdleWriterWithinItsLingerShareOneRoundOfStatements() {
        HistoryWriter writer = writer(100, DataSize.ofMegabytes(1), 1, Duration.ofSeconds(1));
        List<HistoryWrite> writes = List.of(message(), message(), message());

        writes.forEach(writer::offer);
        assertThat(stored).as("nothing stored before the linger is over").isEmpty();

        assertThat(writer.flush(Duration.ofSeconds(5))).isTrue();
        assertThat(stored).containsExactlyElementsOf(writes);
        assertThat(statements.get()).as("three replies of a lone client, one batch").isEqualTo(1);
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
    void aBufferFullOfBytesRefusesAWriteThoughRowsAreLeft() {
        failuresLeft.set(Integer.MAX_VALUE);
        HistoryWriter writer = writer(100, DataSize.ofKilobytes(24), 1);

        assertThat(writer.offer(message(UUID.randomUUID(), "x".repeat(8 * 1024)))).as("16 KiB of 24").isTrue();
        assertThat(writer.offer(message(UUID.randomUUID(), "y".repeat(8 * 1024)))).as("another 16 KiB does not fit").isFalse();
        assertThat(writer.offer(message(UUID.randomUUID(), "small"))).as("a small one still does").isTrue();

        assertThat(meters.counter("sluice.history.dropped", "reason", "full").count()).isEqualTo(1);
        assertThat(writer.backlog()).isEqualTo(2);
        assertThat(meters.get("sluice.history.backlog.bytes").gauge().value()).as("what the two hold")
                .isBetween(16.0 * 1024, 24.0 * 1024);
    }

    @Test
    void oneUserTakesAtMostItsShareOfTheBufferAndOthersStillGetIn() {
        failuresLeft.set(Integer.MAX_VALUE);
        HistoryWriter writer = writer(100, DataSize.ofKilobytes(64), 0.25);
        UUID heavy = UUID.randomUUID();
        String fourKiB = "z".repeat(2 * 1024);

        assertThat(writer.offer(message(heavy, fourKiB))).isTrue();
        assertThat(writer.offer(message(heavy, fourKiB))).isTrue();
        assertThat(writer.offer(message(heavy, fourKiB))).isTrue();
        assertThat(writer.offer(message(heavy, fourKiB))).as("over a quarter of 64 KiB for one user").isFalse();
        assertThat(writer.offer(message(UUID.randomUUID(), fourKiB))).as("another user still gets in").isTrue();

        assertThat(meters.counter("sluice.history.dropped", "reason", "user_share").count()).isEqualTo(1);
        assertThat(meters.counter("sluice.history.dropped", "reason", "full").count()).isZero();
    }

    @Test
    void aUsersShareComesBackOnceItsWritesAreStored() {
        failuresLeft.set(Integer.MAX_VALUE);
        HistoryWriter writer = writer(4, DataSize.ofMegabytes(1), 0.5);
        UUID user = UUID.randomUUID();
        assertThat(writer.offer(List.of(message(user, "a"), message(user, "b")))).isTrue();
        assertThat(writer.offer(message(user, "c"))).as("two of four rows is this user's share").isFalse();

        failuresLeft.set(0);
        assertThat(writer.flush(Duration.ofSeconds(5))).isTrue();

        assertThat(writer.offer(message(user, "c"))).as("stored, so room again").isTrue();
        assertThat(writer.flush(Duration.ofSeconds(5))).isTrue();
        assertThat(meters.get("sluice.history.backlog.bytes").gauge().value()).isZero();
    }

    @Test
    void rowsAreFittedToTheirColumnsSoThatOneBadRowDoesNotFailItsBatch() {
        HistoryWriter writer = writer(100);
        UUID user = UUID.randomUUID();
        // 199 letters and then an emoji, two chars of Java's: the cut at 200 characters keeps it whole.
        String model = "m".repeat(199) + "\uD83D\uDE00" + "m".repeat(100);
        HistoryWrite bad = new HistoryWrite.Message(UUID.randomUUID(), UUID.randomUUID(), user, "user", "a\0b", model, null,
                null, null, null, null, null, "ok", null, null, null, OffsetDateTime.now());

        writer.offer(List.of(message(user, "before"), bad, message(user, "after")));

        assertThat(writer.flush(Duration.ofSeconds(5))).isTrue();
        assertThat(stored).as("the whole batch").hasSize(3);
        HistoryWrite.Message fitted = (HistoryWrite.Message) stored.get(1);
        assertThat(fitted.content()).as("NUL has no place in PostgreSQL text").isEqualTo("ab");
        assertThat(fitted.model()).as("200 characters, the emoji whole").hasSize(201).endsWith("\uD83D\uDE00");
        assertThat(statements.get()).as("in one go, not row by row").isEqualTo(1);
        assertThat(meters.counter("sluice.history.dropped", "reason", "rejected").count()).isZero();
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
        assertThat(statements.get()).as("the batch, then its halves, then the second half's halves").isEqualTo(5);
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
        return message(UUID.randomUUID(), "hi");
    }

    private static HistoryWrite message(UUID user, String content) {
        return new HistoryWrite.Message(UUID.randomUUID(), UUID.randomUUID(), user, "user", content, null, null,
                null, null, null, null, null, "ok", null, null, null, OffsetDateTime.now());
    }
}
