package dev.sluice.gateway.routing;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.provider.ProviderProperties;
import dev.sluice.gateway.provider.UpstreamException.TimedOut;
import dev.sluice.gateway.testing.GlobalVirtualTime;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

@GlobalVirtualTime
class StreamTimeoutsTests {

    private static final ProviderProperties.Timeouts TIMEOUTS = new ProviderProperties.Timeouts(
            Duration.ofSeconds(2), Duration.ofSeconds(15), Duration.ofSeconds(30), Duration.ofSeconds(300));
    private static final ChatChunk TOKEN = new ChatChunk.TextDelta("x");

    @Test
    void aFirstTokenLaterThanItsTimeoutFailsAsAFirstTokenTimeout() {
        StepVerifier.withVirtualTime(() -> StreamTimeouts.apply(Flux.<ChatChunk>never(), TIMEOUTS))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(14_999))
                .thenAwait(Duration.ofMillis(1))
                .expectErrorSatisfies(error -> assertThat(((TimedOut) error).phase()).isEqualTo(TimedOut.Phase.FIRST_TOKEN))
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void onceTheFirstTokenIsInSlowChunksAreLeftToTheIdleTimeout() {
        StepVerifier.withVirtualTime(() -> StreamTimeouts.apply(
                        Flux.interval(Duration.ofSeconds(10), Duration.ofSeconds(20)).take(3).map(i -> TOKEN), TIMEOUTS))
                .thenAwait(Duration.ofSeconds(60))
                .expectNextCount(3)
                .verifyComplete();
    }

    @Test
    void aReplyAskedForWholeMayComeLaterThanTheFirstTokenTimeoutButNotThanTheTotal() {
        StepVerifier.withVirtualTime(() -> StreamTimeouts.apply(
                        Flux.just(TOKEN).delaySubscription(Duration.ofSeconds(100)), TIMEOUTS.forWholeReply()))
                .thenAwait(Duration.ofSeconds(100))
                .expectNext(TOKEN)
                .verifyComplete();
        StepVerifier.withVirtualTime(() -> StreamTimeouts.apply(Flux.<ChatChunk>never(), TIMEOUTS.forWholeReply()))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(299_999))
                .thenAwait(Duration.ofMillis(1))
                .expectErrorSatisfies(error -> assertThat(((TimedOut) error).phase()).isEqualTo(TimedOut.Phase.TOTAL))
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void aReplyLongerThanTheTotalTimeoutFailsAsATotalTimeout() {
        StepVerifier.withVirtualTime(() -> StreamTimeouts.apply(
                        Flux.interval(Duration.ofSeconds(1)).map(i -> TOKEN), TIMEOUTS))
                .thenAwait(Duration.ofSeconds(300))
                .expectNextCount(299)
                .expectErrorSatisfies(error -> assertThat(((TimedOut) error).phase()).isEqualTo(TimedOut.Phase.TOTAL))
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void aTimeoutCancelsTheUpstream() {
        AtomicBoolean cancelled = new AtomicBoolean();
        StepVerifier.withVirtualTime(() -> StreamTimeouts.apply(
                        Flux.<ChatChunk>never().doOnCancel(() -> cancelled.set(true)), TIMEOUTS))
                .thenAwait(Duration.ofSeconds(15))
                .expectError(TimedOut.class)
                .verify(Duration.ofSeconds(5));
        assertThat(cancelled).as("the silent upstream call is abandoned").isTrue();
    }

    @Test
    void theTotalDeadlineCancelsTheUpstreamToo() {
        AtomicBoolean cancelled = new AtomicBoolean();
        StepVerifier.withVirtualTime(() -> StreamTimeouts.apply(
                        Flux.interval(Duration.ofSeconds(1)).map(i -> TOKEN).doOnCancel(() -> cancelled.set(true)), TIMEOUTS))
                .thenAwait(Duration.ofSeconds(300))
                .expectNextCount(299)
                .expectError(TimedOut.class)
                .verify(Duration.ofSeconds(5));
        assertThat(cancelled).as("a reply past its total time stops costing tokens at once").isTrue();
    }
}
