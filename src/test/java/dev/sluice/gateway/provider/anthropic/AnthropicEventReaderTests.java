package dev.sluice.gateway.provider.anthropic;

import java.nio.charset.StandardCharsets;

import dev.sluice.gateway.llm.ChatChunk;
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
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/** Recorded Messages API streams, read into neutral chunks. */
class AnthropicEventReaderTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static final String START = "data: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n";
    private static final String TEXT = "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n";

    @Test
    void aTextStreamBecomesTextDeltasThenTheFinishThenTheUsage() {
        fixture("text-stream.sse")
                .as(StepVerifier::create)
                .as("message_start, block starts and stops and pings carry no text")
                .expectNext(new TextDelta("Hello! Grüß dich 👋"), new Finish(FinishReason.STOP))
                .expectNext(new Usage(25, 12))
                .verifyComplete();
    }

    @Test
    void toolUseBlocksBecomeToolCallsNumberedAmongThemselves() {
        fixture("tool-use-stream.sse")
                .as(StepVerifier::create)
                .expectNext(new TextDelta("Let me check both."))
                .as("content block 1 is tool call 0: OpenAI's clients number calls from 0")
                .expectNext(new ToolCallDelta(0, "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "get_weather", ""),
                        new ToolCallDelta(0, null, null, "{\"city\": \"Par"),
                        new ToolCallDelta(0, null, null, "is\", \"unit\": \"c"),
                        new ToolCallDelta(0, null, null, "elsius\"}"),
                        new ToolCallDelta(1, "toolu_01PbV8qYwKqzM7eJ2vX9cR4D", "get_time", ""),
                        new ToolCallDelta(1, null, null, "{\"tz\": \"Europe/Paris\"}"),
                        new Finish(FinishReason.TOOL_CALLS))
                .as("cached prompt tokens count as prompt tokens, and the cache reads among them are told, as OpenAI does")
                .expectNext(new Usage(572, 89, JsonFields.of("prompt_tokens_details", "{\"cached_tokens\":100}")))
                .verifyComplete();
    }

    @Test
    void inputJsonFragmentsAssembleIntoWholeCalls() {
        ChatReply reply = ChatReply.collect(fixture("tool-use-stream.sse")).block();

        assertThat(reply.text()).isEqualTo("Let me check both.");
        assertThat(reply.toolCalls()).containsExactly(
                new ToolCall("toolu_01T1x1fJ34qAmk2tNTrN7Up6", "get_weather", "{\"city\": \"Paris\", \"unit\": \"celsius\"}"),
                new ToolCall("toolu_01PbV8qYwKqzM7eJ2vX9cR4D", "get_time", "{\"tz\": \"Europe/Paris\"}"));
    }

    @Test
    void hittingMaxTokensFinishesWithLength() {
        fixture("max-tokens-stream.sse")
                .as(StepVerifier::create)
                .expectNext(new TextDelta("Once upon a time, in a kingdom far"),
                        new Finish(FinishReason.LENGTH), new Usage(18, 8))
                .verifyComplete();
    }

    @Test
    void anErrorEventBreaksTheStreamAfterTheTextSoFar() {
        fixture("error-stream.sse")
                .as(StepVerifier::create)
                .expectNext(new TextDelta("The answer"))
                .expectErrorSatisfies(error -> assertThat(error).as("an error event is a broken stream, not a finish")
                        .isInstanceOf(StreamBroken.class)
                        .hasMessage("upstream error: Overloaded"))
                .verify();
    }

    @Test
    void aStreamThatEndsWithoutAStopReasonIsBroken() {
        decode(START + TEXT)
                .as(StepVerifier::create)
                .expectNext(new TextDelta("Hi"))
                .expectErrorMessage("upstream closed the stream before finishing")
                .verify();
    }

    @ParameterizedTest
    @CsvSource({"end_turn, STOP", "stop_sequence, STOP", "pause_turn, STOP", "max_tokens, LENGTH",
            "model_context_window_exceeded, LENGTH", "tool_use, TOOL_CALLS", "refusal, CONTENT_FILTER", "something_new, STOP"})
    void stopReasonsMapToFinishReasons(String stopReason, FinishReason expected) {
        assertThat(AnthropicEventReader.finishReason(stopReason)).isEqualTo(expected);
    }

    @Test
    void thinkingIsTheReasoningContentItsSignatureAndEventTypesAddedLaterAreSkipped() {
        decode(START
                + "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n"
                + "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Hmm\"}}\n\n"
                + "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"EqQB\"}}\n\n"
                + "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}\n\n"
                + "data: {\"type\":\"brand_new_event\"}\n\n"
                + TEXT
                + "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":5}}\n\n")
                .as(StepVerifier::create)
                .as("an input delta for a block that is no tool call is not a tool call")
                .expectNext(new ChatChunk.Extra(0, JsonFields.EMPTY, JsonFields.EMPTY,
                        JsonFields.of("reasoning_content", "\"Hmm\""), false))
                .expectNext(new TextDelta("Hi"), new Finish(FinishReason.STOP), new Usage(3, 5))
                .verifyComplete();
    }

    @Test
    void theStopSequenceThatMatchedIsSaid() {
        decode(START + TEXT + "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"stop_sequence\","
                + "\"stop_sequence\":\"END\"},\"usage\":{\"output_tokens\":2}}\n\n")
                .as(StepVerifier::create)
                .expectNext(new TextDelta("Hi"), new Finish(FinishReason.STOP, "END"), new Usage(3, 2))
                .verifyComplete();
    }

    @Test
    void nothingAfterMessageStopIsRead() {
        decode(START + "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"}}\n\n"
                + "data: {\"type\":\"message_stop\"}\n\n" + "data: {not json\n\n")
                .as(StepVerifier::create)
                .expectNext(new Finish(FinishReason.STOP), new Usage(3, 1))
                .verifyComplete();
    }

    @Test
    void anEventThatIsNotJsonBreaksTheStream() {
        decode(START + "data: {\"type\":\"content_block_delta\",\n\n")
                .as(StepVerifier::create)
                .expectErrorMessage("upstream sent an event that is not valid JSON")
                .verify();
    }

    @ParameterizedTest
    @ValueSource(strings = {"text-stream.sse", "tool-use-stream.sse", "max-tokens-stream.sse", "error-stream.sse"})
    void howeverTheNetworkCutsTheBytesTheChunksAreTheSame(String name) {
        EventStreams.assertCutsChangeNothing("/provider/anthropic/" + name, () -> new AnthropicEventReader(JSON));
    }

    private static Flux<ChatChunk> fixture(String name) {
        return EventStreams.decode(EventStreams.fixture("/provider/anthropic/" + name), () -> new AnthropicEventReader(JSON));
    }

    private static Flux<ChatChunk> decode(String wire) {
        return EventStreams.decode(wire.getBytes(StandardCharsets.UTF_8), () -> new AnthropicEventReader(JSON));
    }
}
