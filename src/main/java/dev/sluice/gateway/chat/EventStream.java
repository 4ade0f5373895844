package dev.sluice.gateway.chat;

import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;

import dev.sluice.gateway.accesslog.RequestLogContext;
import dev.sluice.gateway.llm.ChatChunk;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.reactivestreams.Subscription;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import reactor.core.CoreSubscriber;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;
import reactor.util.concurrent.Queues;
import reactor.util.context.Context;
import tools.jackson.databind.json.JsonMapper;

/**
 * The body of an event stream, between a reply's chunks and the response: one operator for encoding, batching,
 * heartbeats and the failure rule.
 * <ul>
 * <li>Each chunk is encoded once, straight into a pooled buffer of the response, on the connection's event
 * loop. The chunks that arrive while the loop is busy elsewhere (those of one upstream read, when the upstream
 * connection is on the same loop) are written as one buffer: one write, and one flush after it.
 * <li>A heartbeat comment is written when nothing else was for a whole {@code heartbeat}, from the first event
 * until the stream ends, by one timer of the loop that ticks every {@code heartbeat} and is cancelled with the
 * stream; a comment is a buffer of its own, so never inside an event.
 * <li>A failure before the first event is passed on as an error, while the HTTP status can still say it. After
 * it, the encoder's error event ends the stream.
 * <li>A cancel (the client left) reaches the upstream at once, on the thread it comes from.
 * </ul>
 * Backpressure: at most {@link #PREFETCH} chunks are requested ahead of what the response has taken, so a slow
 * client holds back the upstream rather than filling memory.
 */
final class EventStream extends Flux<DataBuffer> {

    /**
     * As many as Reactor's own small buffers hold: enough for a source that cannot slow down (the demo's timer)
     * to go on while the response commits, whose headers go out before the first buffer is taken.
     */
    static final int PREFETCH = Queues.SMALL_BUFFER_SIZE;
    private static final int REPLENISH = PREFETCH - PREFETCH / 4;

    private final Flux<ChatChunk> chunks;
    private final EventEncoder encoder;
    private final DataBufferFactory buffers;
    private final JsonMapper json;
    private final EventExecutor loop;
    private final Duration heartbeat;

    EventStream(Flux<ChatChunk> chunks, EventEncoder encoder, DataBufferFactory buffers, JsonMapper json,
            EventExecutor loop, Duration heartbeat) {
        this.chunks = chunks;
        this.encoder = encoder;
        this.buffers = buffers;
        this.json = json;
        this.loop = loop;
        this.heartbeat = heartbeat;
    }

    @Override
    public void subscribe(CoreSubscriber<? super DataBuffer> actual) {
        chunks.subscribe(new Writer(actual, encoder, new EventWriter(buffers, json), loop, heartbeat));
    }

    /**
     * Signals from the upstream and the response may come on any thread; they go into a queue and counters,
     * and everything else happens in {@link #run()}, always on the loop, never inline: so the chunks that come
     * while the loop is busy gather in the queue, and leave together.
     */
    static final class Writer implements CoreSubscriber<ChatChunk>, Subscription, Runnable {

        private static final AtomicIntegerFieldUpdater<Writer> WIP = AtomicIntegerFieldUpdater.newUpdater(Writer.class, "wip");
        private static final AtomicLongFieldUpdater<Writer> REQUESTED = AtomicLongFieldUpdater.newUpdater(Writer.class, "requested");

        private final CoreSubscriber<? super DataBuffer> actual;
        private final EventEncoder encoder;
        private final EventWriter out;
        private final EventExecutor loop;
        private final long heartbeatNanos;
        private final Queue<ChatChunk> queue = Queues.<ChatChunk>get(PREFETCH).get();

        private Subscription upstream;
        private volatile int wip;
        private volatile long requested;
        private volatile boolean done;
        private Throwable upstreamFailure; // written before done, read after it
        private volatile boolean cancelled;

        // Only on the loop:
        private int consumed;
        private boolean started;
        private boolean ending;
        private Throwable failureToSignal;
        private boolean finished;
        private boolean wroteSinceTick;
        private ScheduledFuture<?> ticker;

        Writer(CoreSubscriber<? super DataBuffer> actual, EventEncoder encoder, EventWriter out, EventExecutor loop,
                Duration heartbeat) {
            this.actual = actual;
            this.encoder = encoder;
            this.out = out;
            this.loop = loop;
            this.heartbeatNanos = heartbeat.toNanos();
        }

        @Override
        public Context currentContext() {
            return actual.currentContext();
        }

        @Override
        public void onSubscribe(Subscription subscription) {
            if (Operators.validate(upstream, subscription)) {
                upstream = subscription;
                actual.onSubscribe(this);
                subscription.request(PREFETCH);
            }
        }

        @Override
        public void onNext(ChatChunk chunk) {
            if (!queue.offer(chunk)) {
                upstream.cancel();
                onError(Exceptions.failWithOverflow());
                return;
            }
            schedule();
        }

        @Override
        public void onError(Throwable failure) {
            if (done) {
                Operators.onErrorDropped(failure, currentContext());
                return;
            }
            upstreamFailure = failure;
            done = true;
            schedule();
        }

        @Override
        public void onComplete() {
            done = true;
            schedule();
        }

        @Override
        public void request(long n) {
            if (Operators.validate(n)) {
                Operators.addCap(REQUESTED, this, n);
                schedule();
            }
        }

        @Override
        public void cancel() {
            if (!cancelled) {
                cancelled = true;
                upstream.cancel();
                schedule();
            }
        }

        private void schedule() {
            if (WIP.getAndIncrement(this) == 0) {
                try {
                    loop.execute(this);
                }
                catch (RejectedExecutionException shutDown) {
                    // The loop, and with it the connection, is gone.
                    cancelled = true;
                    upstream.cancel();
                }
            }
        }

        @Override
        public void run() {
            int missed = 1;
            do {
                drain();
                missed = WIP.addAndGet(this, -missed);
            }
            while (missed != 0);
        }

        private void drain() {
            if (finished) {
                queue.clear();
                return;
            }
            if (cancelled) {
                finish();
                queue.clear();
                return;
            }
            if (!ending) {
                encodeQueued();
            }
            emit();
        }

        private void encodeQueued() {
            try {
                for (;;) {
                    boolean upstreamDone = done;
                    ChatChunk chunk = queue.poll();
                    if (chunk == null) {
                        if (upstreamDone) {
                            end(upstreamFailure);
                        }
                        return;
                    }
                    consumed++;
                    encoder.chunk(chunk, out);
                    started |= out.hasPending();
                }
            }
            catch (RuntimeException failure) {
                upstream.cancel();
                queue.clear();
                end(failure);
            }
        }

        /** The upstream has ended, or encoding failed: the last event, if there is one to write. */
        private void end(Throwable failure) {
            ending = true;
            if (failure == null) {
                try {
                    encoder.complete(out);
                    return;
                }
                catch (RuntimeException encoding) {
                    failure = encoding;
                }
            }
            if (!started) {
                failureToSignal = failure;
                return;
            }
            Throwable cause = failure;
            try {
                RequestLogContext.withIds(currentContext(), () -> {
                    encoder.failed(cause, out);
                    return null;
                });
            }
            catch (RuntimeException encoding) {
                failureToSignal = encoding; // the connection is closed then, which no client takes for a complete reply
            }
        }

        private void emit() {
            if (out.hasPending() && requested > 0) {
                if (requested != Long.MAX_VALUE) {
                    REQUESTED.decrementAndGet(this);
                }
                actual.onNext(out.take());
                if (ticker != null) {
                    wroteSinceTick = true;
                }
                else if (heartbeatNanos > 0 && !ending) {
                    ticker = loop.scheduleAtFixedRate(this::tick, heartbeatNanos, heartbeatNanos, TimeUnit.NANOSECONDS);
                }
            }
            if (ending) {
                if (!out.hasPending()) {
                    finish();
                    if (failureToSignal != null) {
                        actual.onError(failureToSignal);
                    }
                    else {
                        actual.onComplete();
                    }
                }
                return;
            }
            if (consumed >= REPLENISH && !out.hasPending()) {
                int n = consumed;
                consumed = 0;
                upstream.request(n);
            }
        }

        /**
         * Every {@code heartbeat} from the first write: a comment, if nothing was written since the last tick (so
         * after one to two heartbeats of silence) and the client is reading.
         */
        private void tick() {
            if (finished || cancelled || ending) {
                return;
            }
            if (wroteSinceTick) {
                wroteSinceTick = false;
            }
            else if (!out.hasPending() && requested > 0) {
                out.heartbeat();
                emit();
                wroteSinceTick = false;
            }
        }

        private void finish() {
            finished = true;
            out.discard();
            if (ticker != null) {
                ticker.cancel(false);
            }
        }
    }
}
