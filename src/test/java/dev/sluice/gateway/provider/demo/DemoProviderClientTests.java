package dev.sluice.gateway.provider.demo;

import java.time.Duration;
import java.util.List;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatReply;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.JsonFields;
import dev.sluice.gateway.llm.ReplyOptions;
import dev.sluice.gateway.llm.ResponseFormat;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.llm.ToolChoice;
import dev.sluice.gateway.llm.ToolDefinition;
import dev.sluice.gateway.llm.ToolUse;
import dev.sluice.gateway.provider.UpstreamCall;
import dev.sluice.gateway.provider.UpstreamException;
import dev.sluice.gateway.testing.GlobalVirtualTime;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

@GlobalVirtualTime
class DemoProviderClientTests {

    private final DemoProviderClient demo = new DemoProviderClient(Duration.ofMillis(40));

    @Test
    void itStreamsOneWordPerIntervalThenFinishesWithUsage() {
        UpstreamCall call = call("What is 2+2?", null);
        int words = DemoProviderClient.tokenize(DemoProviderClient.reply(call.request().messages())).size();

        StepVerifier.withVirtualTime(() -> demo.stream(call))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(39))
                .thenAwait(Duration.ofMillis(1))
                .expectNext(new ChatChunk.TextDelta("Hello!"))
                .thenAwait(Duration.ofMillis(40L * words))
                .expectNextCount(words - 1)
                .expectNext(new ChatChunk.Finish(FinishReason.STOP))
                .expectNextMatches(chunk -> chunk instanceof ChatChunk.Usage usage && usage.completionTokens() == words)
                .verifyComplete();
    }

    @Test
    void itQuotesTheQuestionAndSaysItIsASimulator() {
        ChatReply reply = ChatReply.collect(new DemoProviderClient(Duration.ofNanos(1)).stream(call("What is 2+2?", null)))
                .block(Duration.ofSeconds(5));

        assertThat(reply.text()).contains("\"What is 2+2?\"").contains("simulator");
    }

    @Test
    void maxTokensCutsTheReplyWithFinishReasonLength() {
        ChatReply reply = ChatReply.collect(new DemoProviderClient(Duration.ofNanos(1)).stream(call("Hi", 3)))
                .block(Duration.ofSeconds(5));

        assertThat(reply.text()).isEqualTo("Hello! This is");
        assertThat(reply.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(reply.usage().completionTokens()).isEqualTo(3);
    }

    @Test
    void aToolChoiceThatRequiresACallGetsACallOfThatToolWithArgumentsFittingItsSchema() {
        ChatReply reply = collect(shaped(ToolChoice.of(ToolChoice.Mode.REQUIRED), null));

        assertThat(reply.finishReason()).as("a tool call ends the turn as a model's would").isEqualTo(FinishReason.TOOL_CALLS);
        assertThat(reply.toolCalls()).singleElement().satisfies(call -> {
            assertThat(call.name()).isEqualTo("get_weather");
            JsonNode arguments = JSON.readTree(call.arguments());
            assertThat(arguments.path("city").asString()).as("a string property gets a string").isEqualTo("demo");
            assertThat(arguments.path("unit").asString()).as("an enum gets one of its values").isEqualTo("celsius");
            assertThat(arguments.path("days").isInt()).isTrue();
        });
    }

    @Test
    void aToolChoiceNamingAFunctionCallsItAndOneNamingNoToolOfTheRequestIsA400NamingToolChoice() {
        ChatReply reply = collect(shaped(ToolChoice.function("get_time"), null));

        assertThat(reply.toolCalls()).extracting(call -> call.name()).containsExactly("get_time");
        StepVerifier.create(demo.stream(shaped(ToolChoice.function("missing"), null)))
                .expectErrorSatisfies(error -> assertThat(error).as("a tool the client never offered is its mistake: a 400")
                        .isInstanceOfSatisfying(UpstreamException.Rejected.class, rejected -> {
                            assertThat(rejected.status()).isEqualTo(400);
                            assertThat(rejected.getMessage()).contains("tool_choice").contains("missing");
                        }))
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void toolsLeftToAutoGetTextThatSaysWhichToolsWereOfferedAndHowToGetACall() {
        ChatReply reply = collect(shaped(null, null));

        assertThat(reply.toolCalls()).isEmpty();
        assertThat(reply.text()).as("the simulator says what it did with the tools instead of ignoring them")
                .contains("get_weather, get_time").contains("tool_choice");
    }

    @Test
    void jsonObjectModeGetsValidJsonCarryingTheReply() {
        ChatReply reply = collect(shaped(null, new ResponseFormat("json_object", null)));

        assertThat(JSON.readTree(reply.text()).path("reply").asString()).contains("simulator");
    }

    @Test
    void jsonSchemaModeGetsJsonFittingTheSchema() {
        JsonNode format = JSON.readTree("""
                {"name":"answer","schema":{"type":"object","properties":{"answer":{"type":"string"},
                "score":{"type":["number","null"]},"tags":{"type":"array","items":{"type":"string"}},
                "ok":{"type":"boolean"}},"required":["answer"]}}""");

        JsonNode reply = JSON.readTree(collect(shaped(null, new ResponseFormat("json_schema", format))).text());

        assertThat(reply.path("answer").isString()).isTrue();
        assertThat(reply.path("score").isNumber()).as("the first non-null type of a list").isTrue();
        assertThat(reply.path("tags").get(0).isString()).isTrue();
        assertThat(reply.path("ok").isBoolean()).isTrue();
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void whatTheSimulatorCannotSimulateIsRefusedByName() {
        List<ChatMessage> hi = List.of(ChatMessage.of(Role.USER, "Hi"));
        List<ChatRequest> requests = List.of(
                new ChatRequest("demo", hi, null, new ReplyOptions(null, null, null, "high", null), null, null, null),
                new ChatRequest("demo", hi, null, new ReplyOptions(null, null, 2, null, null), null, null, null),
                new ChatRequest("demo", hi, null, null, null, null, JsonFields.of("logprobs", "true")));

        assertThat(requests).extracting(request -> refusal(new UpstreamCall("sluice-demo", request, null)))
                .as("it does not reason, makes one reply, and has no logprobs to give")
                .containsExactly("reasoning_effort", "n", "logprobs");
    }

    private static String refusal(UpstreamCall call) {
        Throwable refused = catchThrowable(() -> new DemoProviderClient(Duration.ofNanos(1)).stream(call)
                .blockLast(Duration.ofSeconds(5)));
        assertThat(refused).isInstanceOf(UpstreamException.Unsupported.class);
        return ((UpstreamException.Unsupported) refused).parameter();
    }

    private static ChatReply collect(UpstreamCall call) {
        return ChatReply.collect(new DemoProviderClient(Duration.ofNanos(1)).stream(call)).block(Duration.ofSeconds(5));
    }

    /** A request offering two tools, with this tool choice and response format; tools only when neither is JSON. */
    private static UpstreamCall shaped(ToolChoice choice, ResponseFormat format) {
        JsonNode weather = JSON.readTree("""
                {"type":"object","properties":{"city":{"type":"string"},"unit":{"enum":["celsius","fahrenheit"]},
                "days":{"type":"integer"}},"required":["city"]}""");
        List<ToolDefinition> tools = format != null ? null : List.of(new ToolDefinition("get_weather", null, weather, null),
                new ToolDefinition("get_time", null, null, null));
        ChatRequest request = new ChatRequest("demo", List.of(ChatMessage.of(Role.USER, "Weather in Paris?")), null,
                new ReplyOptions(null, null, null, null, format), new ToolUse(tools, choice, null), null, null);
        return new UpstreamCall("sluice-demo", request, null);
    }

    private static UpstreamCall call(String question, Integer maxTokens) {
        ChatRequest request = ChatRequest.of("demo", List.of(ChatMessage.of(Role.USER, question)));
        if (maxTokens != null) {
            request = request.withMaxTokens(maxTokens);
        }
        return new UpstreamCall("sluice-demo", request, null);
    }
}
