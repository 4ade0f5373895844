package dev.sluice.gateway.provider.openai;

import java.nio.charset.StandardCharsets;
import java.util.List;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatChunk.Extra;
import dev.sluice.gateway.llm.ChatChunk.Finish;
import dev.sluice.gateway.llm.ChatChunk.TextDelta;
import dev.sluice.gateway.llm.ChatChunk.ToolCallDelta;
import dev.sluice.gateway.llm.ChatChunk.Usage;
import dev.sluice.gateway.llm.ChatReply;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.JsonFields;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.provider.UpstreamException.StreamBroken;
import dev.sluice.gateway.provider.http.EventStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Recorded Chat Completions streams, read into neutral chunks. Most tests look at the neutral chunks alone
 * ({@link #neutral}); those about what a stream says beyond them look at the {@link Extra}s too.
 */
class CompletionChunkReaderTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static final String FINISH = "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";

    @Test
    void aTextStreamBecomesTextDeltasThenTheFinishThenTheUsage() {
        neutral(fixture("text-stream.sse"))
                .as(StepVerifier::create)
                .as("role-only and empty deltas and keep-alive comments carry nothing")
                .expectNext(new TextDelta("2 + 2 = 4."), new Finish(FinishReason.LENGTH))
                .expectNext(new Usage(11, 6))
                .verifyComplete();
    }

    @Test
    void usageSentAfterTheFinishChunkFollowsTheFinish() {
        neutral(fixture("usage-after-finish.sse"))
                .as(StepVerifier::create)
                .expectNext(new TextDelta("Grüß dich 👋"))
                .expectNext(new Finish(FinishReason.STOP), new Usage(14, 4))
                .verifyComplete();
    }

    @Test
    void toolCallFragmentsKeepTheirIndexAndOnlyTheFirstCarriesIdAndName() {
        neutral(fixture("tool-call-stream.sse"))
                .as(StepVerifier::create)
                .expectNext(new ToolCallDelta(0, "call_kT3vQ1", "get_weather", ""),
                        new ToolCallDelta(0, null, null, "{\"ci"),
                        new ToolCallDelta(0, null, null, "ty\": \"Paris\"}"),
                        new ToolCallDelta(1, "call_Zp8mW4", "get_time", ""),
                        new ToolCallDelta(1, null, null, "{\"tz\": \"Europe/Paris\"}"),
                        new Finish(FinishReason.TOOL_CALLS),
                        new Usage(81, 47))
                .verifyComplete();
    }

    @Test
    void toolCallFragmentsAssembleIntoWholeCalls() {
        ChatReply reply = ChatReply.collect(fixture("tool-call-stream.sse")).block();

        assertThat(reply.toolCalls()).as("two parallel calls, arguments joined in order").containsExactly(
                new ToolCall("call_kT3vQ1", "get_weather", "{\"city\": \"Paris\"}"),
                new ToolCall("call_Zp8mW4", "get_time", "{\"tz\": \"Europe/Paris\"}"));
        assertThat(reply.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
    }

    @Test
    void anErrorPayloadMidStreamBreaksTheStreamWithItsMessage() {
        neutral(fixture("mid-stream-error.sse"))
                .as(StepVerifier::create)
                .expectNext(new TextDelta("Once upon a time"))
                .expectErrorSatisfies(error -> assertThat(error)
                        .as("an error event is a broken stream, not a finish")
                        .isInstanceOf(StreamBroken.class)
                        .hasMessageContaining("Upstream provider overloaded"))
                .verify();
    }

    @Test
    void groqUsageOutsideTheUsageFieldIsStillCounted() {
        neutral(fixture("groq-stream.sse"))
                .as(StepVerifier::create)
                .expectNext(new TextDelta("Fast answer."), new Finish(FinishReason.STOP))
                .expectNext(new Usage(40, 2))
                .verifyComplete();
    }

    @Test
    void aStreamThatEndsWithoutAFinishReasonIsBroken() {
        neutral(fixture("truncated-stream.sse"))
                .as(StepVerifier::create)
                .expectNext(new TextDelta("The answer is"))
                .expectErrorSatisfies(error -> assertThat(error)
                        .as("a truncated stream must never look like a complete reply")
                        .isInstanceOf(StreamBroken.class)
                        .hasMessage("upstream closed the stream before finishing"))
                .verify();
    }

    @Test
    void doneWithoutAFinishReasonIsStillABrokenStream() {
        decode("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: [DONE]\n\n")
                .as(StepVerifier::create)
                .expectNext(new TextDelta("Hi"))
                .expectError(StreamBroken.class)
                .verify();
    }

    @ParameterizedTest
    @ValueSource(strings = {"text-stream.sse", "usage-after-finish.sse", "tool-call-stream.sse", "mid-stream-error.sse",
            "groq-stream.sse", "truncated-stream.sse", "reasoning-stream.sse", "two-choices-stream.sse"})
    void howeverTheNetworkCutsTheBytesTheChunksAreTheSame(String name) {
        EventStreams.assertCutsChangeNothing("/provider/openai/" + name, () -> new CompletionChunkReader(JSON));
    }

    @Test
    void nothingAfterDoneIsRead() {
        decode(FINISH + "data: [DONE]\n\ndata: {not json\n\n")
                .as(StepVerifier::create)
                .expectNext(new Finish(FinishReason.STOP))
                .verifyComplete();
    }

    @Test
    void onlyTheFirstFinishReasonCounts() {
        decode(FINISH + FINISH.replace("stop", "length"))
                .as(StepVerifier::create)
                .expectNext(new Finish(FinishReason.STOP))
                .verifyComplete();
    }

    @Test
    void aRunningUsageTotalIsReportedOnceWithItsLastValue() {
        String chunk = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":%d}}\n\n";
        decode(chunk.formatted(1) + chunk.formatted(2) + FINISH)
                .as(StepVerifier::create)
                .expectNext(new TextDelta("aa"), new Finish(FinishReason.STOP))
                .as("quotas must count usage once")
                .expectNext(new Usage(5, 2))
                .verifyComplete();
    }

    @Test
    void aPayloadThatIsNotJsonBreaksTheStream() {
        decode("data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}\n\n" + FINISH)
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(StreamBroken.class)
                        .hasMessageContaining("not valid JSON"))
                .verify();
    }

    @Test
    void aPayloadThatIsNotAnObjectBreaksTheStream() {
        decode("data: 42\n\n" + FINISH)
                .as(StepVerifier::create)
                .expectError(StreamBroken.class)
                .verify();
    }

    @Test
    void nothingOfAnErrorPayloadCountsEvenWhatComesBeforeTheErrorInIt() {
        decode("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"}}]}\n\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"half\"},\"finish_reason\":\"error\"}],"
                + "\"error\":{\"message\":\"overloaded\"}}\n\n")
                .as(StepVerifier::create)
                .expectNext(new TextDelta("ok"))
                .expectErrorMessage("upstream error: overloaded")
                .verify();
    }

    @Test
    void nullsAndVendorOdditiesAreTolerated() {
        decode("data: null\n\n"
                + "data: {\"choices\":null,\"usage\":null,\"error\":null}\n\n"
                + "data: {\"choices\":[{\"delta\":{\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"function\":"
                + "{\"name\":\"f\",\"arguments\":\"{}\"}}]}}]}\n\n"
                + "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"},\"finish_reason\":\"tool_calls\"},"
                + "{\"delta\":{\"content\":\"second choice\"}}]}\n\n")
                .as(StepVerifier::create)
                .as("a call without index takes its position; a choice without index too, the second one kept whole")
                .expectNext(new ToolCallDelta(0, "c1", "f", "{}"), new Finish(FinishReason.TOOL_CALLS),
                        new Extra(1, JsonFields.EMPTY, JsonFields.EMPTY, JsonFields.of("content", "\"second choice\""), false))
                .verifyComplete();
    }

    @Test
    void replyFieldsRepeatedOnEveryChunkAreKeptOnceAheadOfTheFirstChunkAndUsageKeepsItsDetails() {
        fixture("text-stream.sse")
                .as(StepVerifier::create)
                .as("the role-only first chunk has nothing for its fingerprint to go with: it waits for the next (the"
                        + " text of one read is one chunk)")
                .expectNext(new Extra(0, JsonFields.of("system_fingerprint", "\"fp_8802369eaa_prod0623_fp8_kvcache\""),
                        JsonFields.EMPTY, JsonFields.EMPTY, true), new TextDelta("2 + 2 = 4."), new Finish(FinishReason.LENGTH))
                .expectNext(new Usage(11, 6, new JsonFields(List.of(
                        new JsonFields.Field("prompt_tokens_details", "{\"cached_tokens\":0}"),
                        new JsonFields.Field("prompt_cache_hit_tokens", "0"),
                        new JsonFields.Field("prompt_cache_miss_tokens", "11")))))
                .verifyComplete();
    }

    @Test
    void reasoningLogprobsAndAChangedFingerprintAreKeptVerbatimAndTheObfuscationIsNot() {
        fixture("reasoning-stream.sse")
                .as(StepVerifier::create)
                .expectNext(new Extra(0, JsonFields.of("system_fingerprint", "\"fp_a\""), JsonFields.EMPTY,
                        JsonFields.of("reasoning_content", "\"Two and two\""), false))
                .expectNext(new Extra(0, JsonFields.EMPTY, JsonFields.EMPTY,
                        JsonFields.of("reasoning_content", "\" make \\\"four\\\".\""), false))
                .as("logprobs go with the text they are of")
                .expectNext(new Extra(0, JsonFields.EMPTY, JsonFields.of("logprobs",
                        "{\"content\":[{\"token\":\"4\",\"logprob\":-0.01,\"bytes\":[52],\"top_logprobs\":[]}],\"refusal\":null}"),
                        JsonFields.EMPTY, true), new TextDelta("4"))
                .expectNext(new Extra(0, JsonFields.of("system_fingerprint", "\"fp_b\""), JsonFields.EMPTY, JsonFields.EMPTY,
                        true), new Finish(FinishReason.STOP))
                .expectNext(new Usage(10, 20, JsonFields.of("completion_tokens_details", "{\"reasoning_tokens\":15}")))
                .verifyComplete();
    }

    @Test
    void aSecondChoiceIsKeptWholeByItsIndex() {
        fixture("two-choices-stream.sse")
                .as(StepVerifier::create)
                .as("nulls and empty strings carry nothing, the role does for a choice the neutral chunks do not carry")
                .expectNext(new Extra(1, JsonFields.EMPTY, JsonFields.EMPTY, JsonFields.of("role", "\"assistant\""), false),
                        new TextDelta("Yes"),
                        new Extra(1, JsonFields.EMPTY, JsonFields.EMPTY, JsonFields.of("content", "\"No\""), false),
                        new Finish(FinishReason.STOP),
                        new Extra(1, JsonFields.EMPTY, JsonFields.of("finish_reason", "\"stop\""), JsonFields.EMPTY, false),
                        new Usage(9, 2))
                .verifyComplete();
    }

    @Test
    void textReadTogetherIsSplitWhereAPayloadWithExtrasBegins() {
        String hello = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}\n\n";
        String logprobs = ",\"logprobs\":{\"content\":[{\"token\":\" there\"}]}";

        decode(hello + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" there\"}" + logprobs + "}]}\n\n" + FINISH)
                .as(StepVerifier::create)
                .as("the earlier text a chunk of its own, so that the logprobs go with their own text")
                .expectNext(new TextDelta("Hello"), new Extra(0, JsonFields.EMPTY,
                        JsonFields.of("logprobs", "{\"content\":[{\"token\":\" there\"}]}"), JsonFields.EMPTY, true),
                        new TextDelta(" there"), new Finish(FinishReason.STOP))
                .verifyComplete();
        decode(hello + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" there\",\"tool_calls\":[{\"index\":0,"
                + "\"id\":\"c1\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}" + logprobs + "}]}\n\n" + FINISH)
                .as(StepVerifier::create)
                .as("text joined into a chunk before the payload's tool call is split at the payload's start")
                .expectNext(new TextDelta("Hello"), new Extra(0, JsonFields.EMPTY,
                        JsonFields.of("logprobs", "{\"content\":[{\"token\":\" there\"}]}"), JsonFields.EMPTY, true),
                        new TextDelta(" there"), new ToolCallDelta(0, "c1", "f", "{}"), new Finish(FinishReason.STOP))
                .verifyComplete();
        decode(hello + "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"Hmm\"}}]}\n\n" + FINISH)
                .as(StepVerifier::create)
                .as("an extra with nothing of its payload to go with comes after the text before it")
                .expectNext(new TextDelta("Hello"), new Extra(0, JsonFields.EMPTY, JsonFields.EMPTY,
                        JsonFields.of("reasoning_content", "\"Hmm\""), false), new Finish(FinishReason.STOP))
                .verifyComplete();
    }

    @Test
    void vllmsStopReasonSaysWhichStopSequenceMatched() {
        decode("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\",\"stop_reason\":\"END\"}]}\n\n")
                .as(StepVerifier::create)
                .expectNext(new Extra(0, JsonFields.EMPTY, JsonFields.of("stop_reason", "\"END\""), JsonFields.EMPTY, true),
                        new Finish(FinishReason.STOP, "END"))
                .verifyComplete();
    }

    @Test
    void aBareStringErrorBreaksTheStreamToo() {
        decode("data: {\"error\":\"model is loading\"}\n\n")
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(StreamBroken.class)
                        .hasMessage("upstream error: model is loading"))
                .verify();
    }

    /** The neutral chunks alone: no extras, usage without its details. */
    private static Flux<ChatChunk> neutral(Flux<ChatChunk> chunks) {
        return chunks.filter(chunk -> !(chunk instanceof Extra))
                .map(chunk -> chunk instanceof Usage usage ? new Usage(usage.promptTokens(), usage.completionTokens()) : chunk);
    }

    private static Flux<ChatChunk> fixture(String name) {
        return EventStreams.decode(EventStreams.fixture("/provider/openai/" + name), () -> new CompletionChunkReader(JSON));
    }

    private static Flux<ChatChunk> decode(String wire) {
        return EventStreams.decode(wire.getBytes(StandardCharsets.UTF_8), () -> new CompletionChunkReader(JSON));
    }
}
