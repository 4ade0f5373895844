package dev.sluice.gateway.chat;

import dev.sluice.gateway.llm.ChatChunk;

import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import reactor.test.publisher.TestPublisher;

import static org.assertj.core.api.Assertions.assertThat;

class ReplySizeLimitTests {

    @Test
    void textAndToolArgumentsCountInUtf8BytesAndTheChunkPastTheLimitIsNotSent() {
        Flux<ChatChunk> reply = Flux.just(new ChatChunk.TextDelta("héllo"), // 6 bytes
                new ChatChunk.ToolCallDelta(0, "call_1", "f", "{}"), // 3 bytes
                new ChatChunk.TextDelta("€")); // 3 bytes: 12 in all

        StepVerifier.create(ReplySizeLimit.apply(reply, 11, "fast"))
                .expectNextCount(2)
                .expectErrorSatisfies(error -> assertThat(((GatewayException) error).code()).isEqualTo(ErrorCode.REPLY_TOO_LARGE))
                .verify();
        StepVerifier.create(ReplySizeLimit.apply(reply, 12, "fast")).as("exactly at the limit is fine")
                .expectNextCount(3).verifyComplete();
    }

    @Test
    void theUpstreamIsCancelledWhenTheLimitIsPassed() {
        TestPublisher<ChatChunk> upstream = TestPublisher.create();

        StepVerifier.create(ReplySizeLimit.apply(upstream.flux(), 4, "fast"))
                .then(() -> upstream.next(new ChatChunk.TextDelta("12345")))
                .expectError(GatewayException.class)
                .verify();
        upstream.assertCancelled();
    }
}
