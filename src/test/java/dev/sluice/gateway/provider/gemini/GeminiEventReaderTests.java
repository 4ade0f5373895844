package dev.sluice.gateway.provider.gemini;

import java.nio.charset.StandardCharsets;
import java.util.List;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatChunk.Finish;
import dev.sluice.gateway.llm.ChatChunk.TextDelta;
import dev.sluice.gateway.llm.ChatChunk.ToolCallDelta;
import dev.sluice.gateway.llm.ChatChunk.Usage;
import dev.sluice.gateway.llm.ChatReply;
import dev.sluice.gateway.llm.FinishReason;
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

/** Recorded {@code streamGenerateContent?alt=sse} streams, read into neutral chunks. */
class GeminiEventReaderTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void aTextStreamBecomesTextDeltasThenTheFinishThenTheLastUsage() {
        fixture("text-stream.sse")
                .as(StepVerifier::create)
                .expectNext(new TextDelta("The capital of France is Paris. Très belle 🗼"),
                        new Finish(FinishReason.STOP))
                .as("usage is a running total: the last one counts, thinking tokens among the output")
                .expectNext(new Usage(9, 35))
                .verifyComplete();
    }

    @Test
    void wholeFunctionCallsBecomeOneToolCallDeltaEachWithAnIdOfOurs() {
        List<ChatChunk> chunks = fixture("function-call-stream.sse").collectList().block();

        assertThat(chunks).hasSize(4);
        ToolCallDelta weather = (ToolCallDelta) chunks.get(0);
        ToolCallDelta time = (ToolCallDelta) chunks.get(1);
        assertThat(weather.index()).isZero();
        assertThat(weather.name()).isEqualTo("get_weather");
        assertThat(weather.argumentsDelta()).as("the args object as JSON text").isEqualTo("{\"city\":\"Paris\",\"unit\":\"celsius\"}");
        assertThat(time.index()).isEqualTo(1);
        assertThat(time.argumentsDelta()).isEqualTo("{\"tz\":\"Europe/Paris\"}");
        assertThat(weather.id()).as("Gemini sends no id; OpenAI's clients need one to answer the call")
                .startsWith("call_").hasSizeGreaterThan(20).isNotEqualTo(time.id());
        assertThat(chunks.get(2)).as("Gemini says STOP; OpenAI's clients look for tool_calls")
                .isEqualTo(new Finish(FinishReason.TOOL_CALLS));
        assertThat(chunks.get(3)).isEqualTo(new Usage(118, 103));
    }

    @Test
    void functionCallsAssembleIntoWholeCalls() {
        ChatReply reply = ChatReply.collect(fixture("function-call-stream.sse")).block();

        assertThat(reply.toolCalls()).extracting(ToolCall::name, ToolCall::arguments).containsExactly(
                org.assertj.core.groups.Tuple.tuple("get_weather", "{\"city\":\"Paris\",\"unit\":\"celsius\"}"),
                org.assertj.core.groups.Tuple.tuple("get_time", "{\"tz\":\"Europe/Paris\"}"));
    }

    @Test
    void aSafetyStopIsAContentFilterFinish() {
        fixture("safety-stream.sse")
                .as(StepVerifier::create)
                .expectNext(new TextDelta("Here is how to"), new Finish(FinishReason.CONTENT_FILTER),
                        new Usage(14, 3))
                .verifyComplete();
    }

    @Test
    void hittingMaxTokensFinishesWithLength() {
        fixture("max-tokens-stream.sse")
                .as(StepVerifier::create)
                .expectNext(new TextDelta("Counting: one, two, three"), new Finish(FinishReason.LENGTH),
                        new Usage(6, 8))
                .verifyComplete();
    }

    @Test
    void anErrorMidStreamBreaksTheStreamAfterTheTextSoFar() {
        fixture("error-stream.sse")
                .as(StepVerifier::create)
                .expectNext(new TextDelta("Let me think"))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(StreamBroken.class)
                        .hasMessage("upstream error: The model is overloaded. Please try again later."))
                .verify();
    }

    @Test
    void aBodyThatEndsWithoutAFinishReasonIsBroken() {
        decode("data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"The capital\"}],\"role\": \"model\"}}]}\n\n")
                .as(StepVerifier::create)
                .expectNext(new TextDelta("The capital"))
                .expectErrorSatisfies(error -> assertThat(error).as("Gemini has no end event: the finish reason is the end")
                        .isInstanceOf(StreamBroken.class).hasMessage("upstream closed the stream before finishing"))
                .verify();
    }

    @Test
    void aBlockedPromptIsAContentFilterFinish() {
        decode("data: {\"promptFeedback\": {\"blockReason\": \"PROHIBITED_CONTENT\"},"
                + "\"usageMetadata\": {\"promptTokenCount\": 7,\"totalTokenCount\": 7}}\n\n")
                .as(StepVerifier::create)
                .expectNext(new Finish(FinishReason.CONTENT_FILTER), new Usage(7, 0))
                .verifyComplete();
    }

    @Test
    void thoughtSummariesAreNotPartOfTheAnswer() {
        decode("data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"**Weighing options**\", \"thought\": true},"
                + "{\"text\": \"Paris.\"}],\"role\": \"model\"},\"finishReason\": \"STOP\"}]}\n\n")
                .as(StepVerifier::create)
                .expectNext(new TextDelta("Paris."), new Finish(FinishReason.STOP))
                .verifyComplete();
    }

    @Test
    void aUsageOnlyResponseAfterTheFinishStillCounts() {
        decode("data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hi\"}]},\"finishReason\": \"STOP\"}]}\n\n"
                + "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"late\"}]}}],"
                + "\"usageMetadata\": {\"promptTokenCount\": 2,\"candidatesTokenCount\": 1}}\n\n")
                .as(StepVerifier::create)
                .as("nothing said after the finish belongs to the reply, but its usage is the final count")
                .expectNext(new TextDelta("Hi"), new Finish(FinishReason.STOP), new Usage(2, 1))
                .verifyComplete();
    }

    @ParameterizedTest
    @ValueSource(strings = {"text-stream.sse", "safety-stream.sse", "max-tokens-stream.sse", "error-stream.sse"})
    void howeverTheNetworkCutsTheBytesTheChunksAreTheSame(String name) {
        EventStreams.assertCutsChangeNothing("/provider/gemini/" + name, () -> new GeminiEventReader(JSON));
    }

    private static Flux<ChatChunk> fixture(String name) {
        return EventStreams.decode(EventStreams.fixture("/provider/gemini/" + name), () -> new GeminiEventReader(JSON));
    }

    private static Flux<ChatChunk> decode(String wire) {
        return EventStreams.decode(wire.getBytes(StandardCharsets.UTF_8), () -> new GeminiEventReader(JSON));
    }
}
