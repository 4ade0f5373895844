package dev.sluice.gateway.provider.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatChunk.Finish;
import dev.sluice.gateway.llm.ChatChunk.TextDelta;
import dev.sluice.gateway.llm.ChatChunk.Usage;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.provider.UpstreamException.StreamBroken;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

import static dev.sluice.gateway.provider.http.EventStreams.decode;
import static dev.sluice.gateway.provider.http.EventStreams.reads;
import static dev.sluice.gateway.provider.http.EventStreams.signals;
import static org.assertj.core.api.Assertions.assertThat;

/** The SSE framing every protocol shares, read with a reader of plain-text payloads. */
class EventStreamDecoderTests {

    /** Payloads in one line, with CRLF, comments, fields other than data, and characters cut by any split. */
    private static final String WIRE = "event: message\nid: 7\nretry: 1000\n: keep-alive\n\ndata: Grüß\r\n\r\n"
            + "data:dich 👋\n\n" + "data: stop\n\n";

    @Test
    void onlyDataLinesCarryPayloadsAndTheSpaceAfterDataIsOptional() {
        decode(bytes(WIRE), TextReader::new)
                .as(StepVerifier::create)
                .expectNext(new TextDelta("Grüßdich 👋"), new Finish(FinishReason.STOP), new Usage(1, 2))
                .verifyComplete();
    }

    @Test
    void howeverTheNetworkCutsTheBytesThePayloadsAreTheSame() {
        List<String> whole = signals(decode(bytes(WIRE), TextReader::new));

        for (int piece = 1; piece <= WIRE.length(); piece++) {
            assertThat(signals(decode(bytes(WIRE), piece, TextReader::new)))
                    .as("%d bytes at a time, multi-byte characters and CRLF cut included", piece).isEqualTo(whole);
        }
    }

    @Test
    void nothingAfterTheReplySaysItIsCompleteIsRead() {
        decode(bytes("data: stop\n\ndata: [END]\n\ndata: !not for us\n\n"), TextReader::new)
                .as(StepVerifier::create)
                .as("what follows the end is ignored; the body's own end completes the stream")
                .expectNext(new Finish(FinishReason.STOP), new Usage(1, 2))
                .verifyComplete();
    }

    @Test
    void aReplyThatNeverFinishesFailsAfterItsChunks() {
        decode(bytes("data: half\n\ndata: an answer\n\n"), TextReader::new)
                .as(StepVerifier::create)
                .as("a truncated stream must never look like a complete reply")
                .expectNext(new TextDelta("halfan answer"))
                .expectErrorMessage("upstream closed the stream before finishing")
                .verify();
    }

    @Test
    void textThatArrivesInOneReadLeavesAsOneChunkAndTextOfTheNextReadAsAnother() {
        Flux<ByteBuf> body = Flux.concat(reads(bytes("data: one\n\ndata:  two\n\n"), 1024, buffer -> { }),
                reads(bytes("data:  three\n\ndata: stop\n\n"), 1024, buffer -> { }));

        EventStreamDecoder.decode(body, TextReader::new)
                .as(StepVerifier::create)
                .as("every stage after the decoder sees one chunk per read, not one per event")
                .expectNext(new TextDelta("one two"), new TextDelta(" three"), new Finish(FinishReason.STOP),
                        new Usage(1, 2))
                .verifyComplete();
    }

    @Test
    void aBreakAfterTextJoinedWithAFinishInOneReadKeepsOnlyTheTextBeforeTheBrokenPayload() {
        decode(bytes("data: ok\n\ndata: more+stop\n\ndata: oops!overloaded\n\n"), TextReader::new)
                .as(StepVerifier::create)
                .expectNext(new TextDelta("okmore"), new Finish(FinishReason.STOP))
                .expectErrorMessage("overloaded")
                .verify();
        decode(bytes("data: ok\n\ndata: more+stop!overloaded\n\n"), TextReader::new)
                .as(StepVerifier::create)
                .as("the text and finish of the payload that broke are dropped, the text before it kept")
                .expectNext(new TextDelta("ok"))
                .expectErrorMessage("overloaded")
                .verify();
    }

    @Test
    void nothingOfThePayloadThatBreaksTheStreamCountsEvenWhatCameBeforeTheBreakInIt() {
        decode(bytes("data: ok\n\ndata: half!overloaded\n\ndata: stop\n\n"), TextReader::new)
                .as(StepVerifier::create)
                .expectNext(new TextDelta("ok"))
                .expectErrorMessage("overloaded")
                .verify();
    }

    @Test
    void aLineLongerThanTheLimitBreaksTheStreamInsteadOfFillingTheHeap() {
        EventStreamDecoder decoder = new EventStreamDecoder(new TextReader());
        byte[] data = bytes("data: " + "x".repeat(EventStreamDecoder.MAX_LINE_BYTES));

        decoder.decode(Unpooled.wrappedBuffer(data));

        decoder.end()
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(StreamBroken.class)
                        .hasMessageContaining("longer than"))
                .verify();
    }

    @Test
    void aConnectionLostMidStreamFailsOnlyAfterTheChunksAlreadyDecoded() {
        Flux<ByteBuf> body = Flux.concat(reads(bytes("data: tok0\n\ndata: stop\n\n"), 1024, buffer -> { }),
                Flux.error(new IOException("Connection reset by peer")));

        EventStreamDecoder.decode(body, TextReader::new)
                .as(publisher -> StepVerifier.create(publisher, 1))
                .as("a caller reading slowly still gets every chunk that arrived before the loss")
                .expectNext(new TextDelta("tok0"))
                .thenRequest(1)
                .expectNext(new Finish(FinishReason.STOP))
                .expectErrorMessage("Connection reset by peer")
                .verify();
    }

    @Test
    void eachNetworkBufferIsReadInItsCallbackAndLeftToTheTransport() {
        List<GivenBack> buffers = new ArrayList<>();

        lent(WIRE, 8, buffers)
                .as(StepVerifier::create).expectNextCount(4).verifyComplete();

        assertThat(buffers).as("every byte read while the buffer was lent, none kept or freed by the decoder")
                .isNotEmpty().allSatisfy(GivenBack::assertUntouched);
    }

    @Test
    void aCallerThatCancelsLeavesNoBufferHeld() {
        List<GivenBack> buffers = new ArrayList<>();

        lent(WIRE, 8, buffers)
                .as(publisher -> StepVerifier.create(publisher, 1))
                .expectNextCount(1)
                .thenCancel()
                .verify();

        assertThat(buffers).as("a caller that stops reading holds no network memory")
                .isNotEmpty().allSatisfy(GivenBack::assertUntouched);
    }

    @Test
    void theBufferThatBreaksTheStreamIsGivenBackToo() {
        List<GivenBack> buffers = new ArrayList<>();

        lent("data: !oops\n\n", 1024, buffers)
                .as(StepVerifier::create).expectError(StreamBroken.class).verify();

        assertThat(buffers).hasSize(1).allSatisfy(GivenBack::assertUntouched);
    }

    /** Decodes the wire as the transport lends it, {@code piece} bytes a read, noting each buffer it gets back. */
    private static Flux<ChatChunk> lent(String wire, int piece, List<GivenBack> givenBack) {
        return EventStreamDecoder.decode(reads(bytes(wire), piece,
                buffer -> givenBack.add(new GivenBack(buffer.refCnt(), buffer.readableBytes()))), TextReader::new);
    }

    /** A buffer as the transport got it back, about to release it. */
    private record GivenBack(int refCnt, int unread) {

        void assertUntouched() {
            assertThat(refCnt).as("neither retained nor released by the decoder").isEqualTo(1);
            assertThat(unread).as("read once, in the callback that lent it").isZero();
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Payloads as plain text: {@code stop} finishes, {@code [END]} completes, and {@code text!why} emits the
     * text then breaks the stream for that reason. The finish reports usage (1, 2).
     */
    private static final class TextReader implements EventReader {

        private boolean complete;

        @Override
        public void read(byte[] bytes, int offset, int length, ChunkSink reply) {
            String payload = new String(bytes, offset, length, StandardCharsets.UTF_8);
            int bang = payload.indexOf('!');
            String text = bang < 0 ? payload : payload.substring(0, bang);
            if (text.endsWith("+stop")) {
                reply.text(text.substring(0, text.length() - "+stop".length()));
                reply.finish(FinishReason.STOP);
            }
            else if (text.equals("stop")) {
                reply.finish(FinishReason.STOP);
                reply.usage(new Usage(1, 2));
            }
            else if (text.equals("[END]")) {
                complete = true;
            }
            else {
                reply.text(text);
            }
            if (bang >= 0) {
                throw new StreamBroken(payload.substring(bang + 1));
            }
        }

        @Override
        public boolean complete() {
            return complete;
        }
    }
}
