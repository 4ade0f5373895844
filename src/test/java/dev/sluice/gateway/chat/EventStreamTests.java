package dev.sluice.gateway.chat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.NettyDataBuffer;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import reactor.test.publisher.TestPublisher;
import reactor.test.subscriber.TestSubscriber;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The event stream between a reply's chunks and the response, on a Netty event loop whose clock the test moves
 * (an embedded channel's): tasks run when the test says, so "arrived while the loop was busy" is exact.
 */
class EventStreamTests {

    private static final Duration HEARTBEAT = Duration.ofSeconds(15);
    private static final String HEARTBEAT_BYTES = ":keep-alive\n\n";

    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final TrackingBuffers buffers = new TrackingBuffers();
    private final TestPublisher<ChatChunk> upstream = TestPublisher.create();
    /** What the response received, as text; the buffers are released as a server would once written. */
    private final List<String> received = new ArrayList<>();
    private TestSubscriber<DataBuffer> response;

    EventStreamTests() {
        channel.freezeTime();
    }

    @AfterEach
    void noBufferIsLeft() {
        texts(response);
        channel.finishAndReleaseAll();
        assertThat(buffers.allocated).as("every buffer written out or released")
                .allSatisfy(buffer -> assertThat(buffer.getNativeBuffer().refCnt()).isZero());
    }

    @Test
    void chunksThatArriveWhileTheLoopIsBusyLeaveAsOneBuffer() {
        TestSubscriber<DataBuffer> response = subscribe(TestSubscriber.create());

        upstream.next(text("Hel"), text("lo"), text(" world"));
        channel.runPendingTasks();
        upstream.next(text("!"));
        channel.runPendingTasks();
        upstream.complete();
        channel.runPendingTasks();

        assertThat(texts(response)).as("one buffer per loop turn, each event encoded once, in order").containsExactly(
                "event:token\ndata:Hel\n\nevent:token\ndata:lo\n\nevent:token\ndata: world\n\n",
                "event:token\ndata:!\n\n",
                "event:done\ndata:ok\n\n");
        assertThat(response.isTerminatedComplete()).isTrue();
    }

    @Test
    void aFailureBeforeTheFirstEventIsPassedOnForTheHttpStatus() {
        TestSubscriber<DataBuffer> response = subscribe(TestSubscriber.create());

        upstream.next(new ChatChunk.Finish(FinishReason.STOP)); // no event of its own
        upstream.error(new GatewayException(ErrorCode.UPSTREAM_TIMEOUT, "no first token"));
        channel.runPendingTasks();

        assertThat(response.getReceivedOnNext()).as("nothing written, so the status line is still free").isEmpty();
        assertThat(response.expectTerminalError()).isInstanceOf(GatewayException.class).hasMessage("no first token");
    }

    @Test
    void aFailureAfterTheFirstEventEndsTheStreamWithTheErrorEventAfterEveryTokenBeforeIt() {
        TestSubscriber<DataBuffer> response = subscribe(TestSubscriber.create());

        upstream.next(text("a"));
        channel.runPendingTasks();
        upstream.next(text("b"));
        upstream.error(new GatewayException(ErrorCode.STREAM_BROKEN, "cut"));
        channel.runPendingTasks();

        assertThat(texts(response)).containsExactly("event:token\ndata:a\n\n",
                "event:token\ndata:b\n\nevent:error\ndata:cut\n\n");
        assertThat(response.isTerminatedComplete()).as("the error event is the end; no done").isTrue();
    }

    @Test
    void anEventThatFailsToEncodeIsTakenBackAndTheStreamEndsWithTheErrorEvent() {
        TestSubscriber<DataBuffer> response = subscribe(TestSubscriber.create());

        upstream.next(text("a"), text(Letters.FAIL));
        channel.runPendingTasks();

        assertThat(texts(response)).containsExactly("event:token\ndata:a\n\nevent:error\ndata:cannot encode\n\n");
        upstream.assertCancelled();
        assertThat(response.isTerminatedComplete()).isTrue();
    }

    @Test
    void aHeartbeatIsWrittenOnlyAfterAWholeIntervalWithoutWritesAndNeverBeforeTheFirstEvent() {
        TestSubscriber<DataBuffer> response = subscribe(TestSubscriber.create());

        advance(HEARTBEAT.multipliedBy(3));
        assertThat(response.getReceivedOnNext()).as("no heartbeat commits the response before the first event").isEmpty();

        upstream.next(text("a"));
        channel.runPendingTasks();
        advance(HEARTBEAT);
        assertThat(texts(response)).as("a whole interval of silence after the first event").containsExactly(
                "event:token\ndata:a\n\n", HEARTBEAT_BYTES);

        for (int i = 0; i < 4; i++) { // a token every half interval keeps comments away
            advance(HEARTBEAT.dividedBy(2));
            upstream.next(text("b"));
            channel.runPendingTasks();
        }
        assertThat(texts(response)).hasSize(6).last().isEqualTo("event:token\ndata:b\n\n");

        advance(HEARTBEAT.multipliedBy(3));
        assertThat(texts(response).subList(6, texts(response).size())).as("silence again").isNotEmpty()
                .allSatisfy(text -> assertThat(text).isEqualTo(HEARTBEAT_BYTES));

        upstream.complete();
        channel.runPendingTasks();
        int written = response.getReceivedOnNext().size();
        advance(HEARTBEAT.multipliedBy(3));
        assertThat(response.getReceivedOnNext()).as("no heartbeat after the end").hasSize(written);
        assertThat(channel.runScheduledPendingTasks()).as("the stream's timer is gone with it").isEqualTo(-1);
    }

    @Test
    void aHeartbeatWaitsWhileTheClientIsNotReadingAndIsNeverInsideAnEvent() {
        TestSubscriber<DataBuffer> response = subscribe(TestSubscriber.builder().initialRequest(1).build());

        upstream.next(text("a"));
        channel.runPendingTasks();
        upstream.next(text("b"));
        channel.runPendingTasks();
        advance(HEARTBEAT.multipliedBy(3));
        assertThat(texts(response)).as("the client took one buffer and asked for no more").containsExactly("event:token\ndata:a\n\n");

        response.request(1);
        channel.runPendingTasks();
        assertThat(texts(response)).as("the waiting events, without a comment among them").containsExactly(
                "event:token\ndata:a\n\n", "event:token\ndata:b\n\n");
        response.cancel();
        channel.runPendingTasks();
    }

    @Test
    void aClientThatIsNotReadingHoldsBackTheUpstream() {
        TestSubscriber<DataBuffer> response = subscribe(TestSubscriber.builder().initialRequest(1).build());
        upstream.assertMinRequested(EventStream.PREFETCH);

        for (int i = 0; i < EventStream.PREFETCH; i++) {
            upstream.next(text("a"));
        }
        channel.runPendingTasks();
        for (int i = 0; i < EventStream.PREFETCH; i++) {
            upstream.next(text("b"));
        }
        channel.runPendingTasks();

        upstream.assertMaxRequested(0);
        assertThat(response.getReceivedOnNext()).hasSize(1);

        response.request(1);
        channel.runPendingTasks();
        assertThat(response.getReceivedOnNext()).as("the held chunks, in one buffer").hasSize(2);
        upstream.assertMinRequested(EventStream.PREFETCH);
        upstream.complete();
        response.request(1);
        channel.runPendingTasks();
        assertThat(response.isTerminatedComplete()).isTrue();
    }

    @Test
    void aCancelReachesTheUpstreamAtOnceAndReleasesWhatWasNotWritten() {
        TestSubscriber<DataBuffer> response = subscribe(TestSubscriber.builder().initialRequest(1).build());
        upstream.next(text("a"));
        channel.runPendingTasks();
        upstream.next(text("b")); // encoded, waiting for the client
        channel.runPendingTasks();
        upstream.next(text("c")); // queued, not encoded

        response.cancel();

        upstream.assertCancelled();
        channel.runPendingTasks();
        advance(HEARTBEAT.multipliedBy(2));
        assertThat(response.getReceivedOnNext()).hasSize(1);
        assertThat(channel.runScheduledPendingTasks()).as("no timer left").isEqualTo(-1);
    }

    private TestSubscriber<DataBuffer> subscribe(TestSubscriber<DataBuffer> response) {
        this.response = response;
        new EventStream(upstream.flux(), new Letters(), buffers, JsonMapper.builder().build(), channel.eventLoop(), HEARTBEAT)
                .subscribe(response);
        return response;
    }

    private void advance(Duration duration) {
        channel.advanceTimeBy(duration.toNanos(), TimeUnit.NANOSECONDS);
        channel.runPendingTasks();
    }

    private List<String> texts(TestSubscriber<DataBuffer> response) {
        List<DataBuffer> next = response.getReceivedOnNext();
        for (DataBuffer buffer : next.subList(received.size(), next.size())) {
            received.add(buffer.toString(StandardCharsets.UTF_8));
            DataBufferUtils.release(buffer);
        }
        return List.copyOf(received);
    }

    private static ChatChunk text(String text) {
        return new ChatChunk.TextDelta(text);
    }

    /** Tokens as plain data, {@code done} and {@code error} events; {@link #FAIL} fails half-way through its event. */
    private static final class Letters implements EventEncoder {

        static final String FAIL = "fail";
        private static final byte[] TOKEN = EventWriter.eventLine("token");

        @Override
        public void chunk(ChatChunk chunk, EventWriter out) {
            if (chunk instanceof ChatChunk.TextDelta text) {
                if (FAIL.equals(text.text())) {
                    out.event(TOKEN, json -> {
                        json.writeStartObject();
                        throw new IllegalStateException("cannot encode");
                    });
                }
                out.rawEvent(TOKEN, text.text().getBytes(StandardCharsets.UTF_8));
            }
        }

        @Override
        public void complete(EventWriter out) {
            out.rawEvent(EventWriter.eventLine("done"), "ok".getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public void failed(Throwable failure, EventWriter out) {
            out.rawEvent(EventWriter.eventLine("error"), failure.getMessage().getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Netty buffers, each remembered, so that the test sees every one released. */
    private static final class TrackingBuffers extends NettyDataBufferFactory {

        final Queue<NettyDataBuffer> allocated = new ConcurrentLinkedQueue<>();

        TrackingBuffers() {
            super(UnpooledByteBufAllocator.DEFAULT);
        }

        @Override
        public NettyDataBuffer allocateBuffer(int initialCapacity) {
            NettyDataBuffer buffer = super.allocateBuffer(initialCapacity);
            allocated.add(buffer);
            return buffer;
        }
    }
}
