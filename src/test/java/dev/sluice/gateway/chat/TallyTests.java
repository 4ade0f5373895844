package dev.sluice.gateway.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.sluice.gateway.cache.CacheStatus;
import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatReply;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.routing.Target;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;
import reactor.util.context.Context;

import static org.assertj.core.api.Assertions.assertThat;

/** The one tally of a chat: what its operator counts per chunk, and how the reply's end reaches the stages once. */
class TallyTests {

    private static final List<ChatChunk> REPLY = List.of(new ChatChunk.TextDelta("Hél"), new ChatChunk.TextDelta("lo"),
            new ChatChunk.Finish(FinishReason.STOP), new ChatChunk.Usage(7, 2));

    private final Tally tally = new Tally(System.nanoTime());
    private final AtomicInteger ends = new AtomicInteger();

    @Test
    void everyChunkIsTalliedAndTheEndRunsOnceBeforeTheCompletionGoesOn() {
        List<String> seen = new ArrayList<>();

        tallied(Flux.fromIterable(REPLY), () -> seen.add("ended with " + tally.outcome()))
                .doOnComplete(() -> seen.add("completed"))
                .as(StepVerifier::create)
                .expectNextSequence(REPLY)
                .verifyComplete();

        assertThat(seen).as("what the end stored, the edge can report").containsExactly("ended with COMPLETED", "completed");
        assertThat(ends).hasValue(1);
        assertThat(tally.replyChars()).isEqualTo(5);
        assertThat(tally.usage()).isEqualTo(new ChatChunk.Usage(7, 2));
        assertThat(tally.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(tally.firstTokenAt()).isPositive();
        assertThat(tally.text()).as("only kept when a stage needs it").isEmpty();
        assertThat(tally.failure()).isNull();
        assertThat(tally.cancelled()).isFalse();
    }

    @Test
    void aCancelEndsTheTallyWithWhatCameSoFarBeforeTheCancelGoesUpstream() {
        Sinks.Many<ChatChunk> upstream = Sinks.many().unicast().onBackpressureBuffer();
        AtomicBoolean endedBeforeCancel = new AtomicBoolean();
        Flux<ChatChunk> reply = upstream.asFlux().doOnCancel(() -> endedBeforeCancel.set(tally.outcome() != null));
        tally.keepWholeReply();

        StepVerifier.create(tallied(reply, () -> { }))
                .then(() -> upstream.tryEmitNext(new ChatChunk.TextDelta("Half a")))
                .expectNextCount(1)
                .thenCancel()
                .verify();

        assertThat(tally.outcome()).isEqualTo(Tally.Outcome.CANCELLED);
        assertThat(tally.cancelled()).isTrue();
        assertThat(endedBeforeCancel).as("the stages read the tally before the upstream is let go").isTrue();
        assertThat(tally.text()).isEqualTo("Half a");
        assertThat(tally.finishReason()).as("it never got that far").isNull();
        assertThat(ends).hasValue(1);
    }

    @Test
    void aFailureEndsTheTallyWithTheFailureOnce() {
        IllegalStateException broke = new IllegalStateException("broke");

        tallied(Flux.concat(Flux.just(REPLY.get(0)), Flux.error(broke)), () -> { })
                .as(StepVerifier::create)
                .expectNextCount(1)
                .verifyErrorMessage("broke");

        assertThat(tally.outcome()).isEqualTo(Tally.Outcome.FAILED);
        assertThat(tally.failure()).isSameAs(broke);
        assertThat(tally.end(Tally.Outcome.CANCELLED, null)).as("ended once").isFalse();
        assertThat(ends).hasValue(1);
    }

    @Test
    void aStageThatFailsAtTheEndDoesNotChangeHowTheReplyEnds() {
        tallied(Flux.fromIterable(REPLY), () -> {
            throw new IllegalStateException("a stage's bug");
        }).as(StepVerifier::create).expectNextCount(4).verifyComplete();
    }

    @Test
    void theStartIsGivenTheSubscribersContext() {
        AtomicReference<Object> request = new AtomicReference<>();

        new TallyOperator(Flux.fromIterable(REPLY), tally, context -> request.set(context.getOrDefault("request", null)),
                () -> { })
                .contextWrite(Context.of("request", "req-1"))
                .as(StepVerifier::create).expectNextCount(4).verifyComplete();

        assertThat(request).hasValue("req-1");
    }

    @Test
    void theWholeReplyIsAssembledWhenKeptToolCallsIncluded() {
        tally.keepWholeReply();
        Flux<ChatChunk> reply = Flux.just(new ChatChunk.TextDelta("Let me look."),
                new ChatChunk.ToolCallDelta(0, "call_1", "lookup", "{\"q\":"), new ChatChunk.ToolCallDelta(0, null, null, "1}"),
                new ChatChunk.Finish(FinishReason.TOOL_CALLS), new ChatChunk.Usage(3, 4));

        tallied(reply, () -> { }).blockLast();

        assertThat(tally.reply()).isEqualTo(new ChatReply("Let me look.", List.of(new ToolCall("call_1", "lookup", "{\"q\":1}")),
                FinishReason.TOOL_CALLS, null, new ChatChunk.Usage(3, 4), List.of()));
        assertThat(tally.replyChars()).as("text, the tool's name and its arguments").isEqualTo(12 + 6 + 7);
    }

    @Test
    void whoServedIsTheRequestsOwnCallElseWhoMadeTheReplyItGotElsewhere() {
        tally.cacheStatus(CacheStatus.MISS);
        tally.servedElsewhere(() -> "fast-upstream/model-a");
        assertThat(tally.provider()).as("shared with an identical request").isEqualTo("fast-upstream/model-a");
        assertThat(tally.servedBy()).as("no call of its own").isNull();
        assertThat(tally.promptSent()).isFalse();

        tally.attempt(new Target("fast-upstream", "model-b"));
        assertThat(tally.provider()).isEqualTo("fast-upstream/model-b");
        assertThat(tally.attempts()).isEqualTo(1);
        assertThat(tally.promptSent()).isTrue();
        assertThat(tally.cached()).isFalse();
    }

    private Flux<ChatChunk> tallied(Flux<ChatChunk> reply, Runnable ended) {
        return new TallyOperator(reply, tally, context -> { }, () -> {
            ends.incrementAndGet();
            ended.run();
        });
    }
}
