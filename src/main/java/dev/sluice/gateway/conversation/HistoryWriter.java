package dev.sluice.gateway.conversation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.sluice.gateway.config.ShutdownOrder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.InvalidDataAccessApiUsageException;
import org.springframework.r2dbc.BadSqlGrammarException;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.concurrent.Queues;
import reactor.util.retry.Retry;

/**
 * The write-behind buffer for history and usage records: requests offer rows and go on streaming; one drain loop
 * stores them in batches, in the order offered.
 * <p>
 * Nothing is lost silently. The buffer is bounded in rows ({@code sluice.history.buffer-size}) and in bytes
 * ({@code buffer-bytes}), and one user's writes may take only {@code per-user-share} of either, so that a user
 * with huge replies cannot take everyone else's room. A write that does not fit is refused, the caller is told
 * ({@link #offer} answers {@code false}, and the chat's {@code done} event says {@code stored: false}), and it is
 * counted ({@code sluice.history.dropped}, reason {@code full} or {@code user_share}; the reply of a turn whose
 * question was refused is not offered, reason {@code turn_refused}). Rows are
 * {@linkplain HistoryWrite#sanitised() fitted to their columns} when offered, so client input does not fail a
 * batch. While the database is unreachable the batch is retried with exponential backoff
 * ({@code sluice.history.retries}), as long as it takes, and the rest waits behind it ({@code sluice.history.backlog}).
 * A batch the database refuses for its rows (a conversation deleted meanwhile) is split in halves and each half
 * stored again, down to the one row refused, which is dropped, logged and counted alone, reason {@code rejected}.
 * A graceful shutdown stops taking writes only after the web server has drained, then waits up to
 * {@code sluice.history.shutdown-wait} for the buffer to empty.
 * <p>
 * The buffer is a lock-free multi-producer queue with separate counters for its bounds: no lock is shared by
 * the requests that offer to it.
 */
public class HistoryWriter implements SmartLifecycle {

    private static final Log logger = LogFactory.getLog(HistoryWriter.class);

    private final HistoryStore store;
    private final HistoryProperties properties;
    private final Queue<HistoryWrite> queue = Queues.<HistoryWrite>unboundedMultiproducer().get();
    /** Writes offered and not yet stored or dropped, the queue plus the batch being stored: their rows and bytes. */
    private final HistoryBudget backlog;
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean outage = new AtomicBoolean();
    private final Counter retries;
    private final Counter droppedFull;
    private final Counter droppedUserShare;
    private final Counter droppedWithTurn;
    private final Counter droppedRejected;
    private final Counter droppedShutdown;
    private final Counter stored;
    private volatile boolean running;
    private volatile Disposable inFlight;

    HistoryWriter(HistoryStore store, HistoryProperties properties, MeterRegistry registry) {
        this.store = store;
        this.properties = properties;
        this.backlog = new HistoryBudget(properties);
        Gauge.builder("sluice.history.backlog", backlog, HistoryBudget::rows)
                .description("History writes waiting for the database").register(registry);
        Gauge.builder("sluice.history.backlog.bytes", backlog, HistoryBudget::bytes).baseUnit("bytes")
                .description("Heap held by the history writes waiting for the database, about").register(registry);
        this.retries = Counter.builder("sluice.history.retries")
                .description("Batches of history writes stored again after a database failure").register(registry);
        this.droppedFull = dropped(registry, "full");
        this.droppedUserShare = dropped(registry, "user_share");
        this.droppedWithTurn = dropped(registry, "turn_refused");
        this.droppedRejected = dropped(registry, "rejected");
        this.droppedShutdown = dropped(registry, "shutdown");
        this.stored = Counter.builder("sluice.history.stored").description("History writes stored").register(registry);
    }

    private static Counter dropped(MeterRegistry registry, String reason) {
        return Counter.builder("sluice.history.dropped").tag("reason", reason)
                .description("History writes given up on").register(registry);
    }

    /**
     * Offers writes that belong together (a conversation and its first message), fitted to their columns: all
     * are taken, or none, and then the caller must say that they will not be stored.
     */
    public boolean offer(List<? extends HistoryWrite> writes) {
        if (!running) {
            droppedShutdown.increment(writes.size());
            return false;
        }
        List<HistoryWrite> rows = new ArrayList<>(writes.size());
        for (HistoryWrite write : writes) {
            rows.add(write.sanitised());
        }
        HistoryBudget.Room room = backlog.take(rows);
        if (room != HistoryBudget.Room.TAKEN) {
            (room == HistoryBudget.Room.USER_SHARE_FULL ? droppedUserShare : droppedFull).increment(rows.size());
            return false;
        }
        queue.addAll(rows);
        kick();
        return true;
    }

    public boolean offer(HistoryWrite write) {
        return offer(List.of(write));
    }

    /** Counts writes never offered because what they belong with was refused (a reply whose question was). */
    void refused(int n) {
        droppedWithTurn.increment(n);
    }

    /** Writes offered and not yet stored. */
    public int backlog() {
        return (int) backlog.rows();
    }

    /**
     * Starts the drain loop if it is idle, {@code linger} later, on another thread: an offer comes from a reply's end,
     * on the event loop that is about to write that reply, and preparing and sending a batch's statement there would
     * delay the reply by that much; the linger lets the replies that end meanwhile share the statements (for a lone
     * client every reply would be a batch of its own, a statement on the loops that serve the next request).
     */
    private void kick() {
        if (draining.compareAndSet(false, true)) {
            Schedulers.parallel().schedule(this::next, properties.linger().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** Takes the next batch and stores it; only ever runs in one place at a time (the draining flag). */
    private void next() {
        List<HistoryWrite> batch = new ArrayList<>();
        HistoryWrite write;
        while (batch.size() < properties.batchSize() && (write = queue.poll()) != null) {
            batch.add(write);
        }
        if (batch.isEmpty()) {
            draining.set(false);
            // A write offered after the poll and before the flag went down would wait for the next offer.
            if (!queue.isEmpty() && draining.compareAndSet(false, true)) {
                next();
            }
            return;
        }
        inFlight = storeWithRetries(batch).subscribe(null, failure -> {
            // Not expected: storeWithRetries handles every failure; counted so it cannot go unnoticed.
            logger.error("History batch of " + batch.size() + " writes lost", failure);
            finished(batch, droppedRejected);
            next();
        }, () -> {
            finished(batch, null);
            next();
        });
    }

    private void finished(List<HistoryWrite> batch, Counter dropped) {
        backlog.giveBack(batch);
        if (dropped != null) {
            dropped.increment(batch.size());
        }
    }

    private Mono<Void> storeWithRetries(List<HistoryWrite> batch) {
        return store.write(batch)
                .retryWhen(Retry.backoff(Long.MAX_VALUE, properties.retryBackoff())
                        .maxBackoff(properties.maxRetryBackoff())
                        .filter(failure -> !isPermanent(failure))
                        .doBeforeRetry(signal -> {
                            retries.increment();
                            if (outage.compareAndSet(false, true)) {
                                logger.warn("History writes are waiting for the database (" + backlog.rows()
                                        + " buffered): " + signal.failure());
                            }
                        }))
                .doOnSuccess(done -> {
                    stored.increment(batch.size());
                    if (outage.compareAndSet(true, false)) {
                        logger.info("History writes reach the database again");
                    }
                })
                .onErrorResume(HistoryWriter::isPermanent, failure -> batch.size() == 1 ? reject(batch.get(0), failure)
                        : storeWithRetries(batch.subList(0, batch.size() / 2))
                                .then(Mono.defer(() -> storeWithRetries(batch.subList(batch.size() / 2, batch.size())))));
    }

    private Mono<Void> reject(HistoryWrite write, Throwable failure) {
        droppedRejected.increment();
        logger.warn("History write refused by the database and dropped: " + describe(write) + ": " + failure.getMessage());
        return Mono.empty();
    }

    private static String describe(HistoryWrite write) {
        if (write instanceof HistoryWrite.Message message) {
            return "message " + message.id() + " of conversation " + message.conversationId();
        }
        if (write instanceof HistoryWrite.NewConversation conversation) {
            return "conversation " + conversation.id();
        }
        if (write instanceof HistoryWrite.Usage usage) {
            return "usage record " + usage.id() + " of user " + usage.userId();
        }
        return "feedback on message " + ((HistoryWrite.Feedback) write).messageId();
    }

    /** The database refused the rows themselves: storing them again cannot help. */
    static boolean isPermanent(Throwable failure) {
        return failure instanceof DataIntegrityViolationException || failure instanceof BadSqlGrammarException
                || failure instanceof InvalidDataAccessApiUsageException
                || failure instanceof io.r2dbc.spi.R2dbcDataIntegrityViolationException
                || failure instanceof io.r2dbc.spi.R2dbcBadGrammarException;
    }

    /** Waits (blocking: for shutdown and tests, never on an event loop) until everything offered is stored. */
    public boolean flush(Duration wait) {
        Boolean empty = Flux.interval(Duration.ZERO, Duration.ofMillis(10))
                .filter(tick -> backlog.rows() == 0)
                .next()
                .map(tick -> true)
                .timeout(wait, Mono.just(false))
                .block();
        return Boolean.TRUE.equals(empty);
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        if (!flush(properties.shutdownWait())) {
            long lost = backlog.rows();
            droppedShutdown.increment(lost);
            logger.error(lost + " history writes could not be stored before shutdown (database unreachable for "
                    + properties.shutdownWait() + ")");
        }
        Disposable last = inFlight;
        if (last != null) {
            last.dispose();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return ShutdownOrder.WRITE_BEHIND;
    }
}
