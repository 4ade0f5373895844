package dev.sluice.gateway.provider.anthropic;

import java.util.List;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.ContentPart;
import dev.sluice.gateway.llm.JsonFields;
import dev.sluice.gateway.llm.ReplyOptions;
import dev.sluice.gateway.llm.ResponseFormat;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.llm.Sampling;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.llm.ToolChoice;
import dev.sluice.gateway.llm.ToolDefinition;
import dev.sluice.gateway.llm.ToolUse;
import dev.sluice.gateway.provider.UpstreamCall;
import dev.sluice.gateway.provider.UpstreamException.Rejected;
import dev.sluice.gateway.provider.UpstreamException.Unsupported;
import dev.sluice.gateway.provider.http.EventStreams;
import dev.sluice.gateway.provider.http.SampleRequests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

class AnthropicRequestEncoderTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final ToolDefinition GET_TIME = new ToolDefinition("get_time", null, null, null);
    private static final List<ChatMessage> HI = List.of(ChatMessage.of(Role.USER, "Hi"));

    private final AnthropicRequestEncoder encoder = new AnthropicRequestEncoder(JSON);

    @Test
    void aToolRoundTripWithSystemPromptsIsWrittenTheWayTheMessagesApiWantsIt() {
        ChatRequest sample = SampleRequests.toolRoundTrip();
        Sampling sampling = sample.sampling();
        // Anthropic has no seed and no penalties: without them, the rest of the sample.
        ChatRequest request = new ChatRequest(sample.model(), sample.messages(), new Sampling(sampling.temperature(),
                sampling.topP(), null, null, null, sampling.stop()), sample.reply(), sample.toolUse(), sample.user(), null);

        JsonNode written = written(new UpstreamCall("claude-sonnet-4-5", request, "sk-ant-secret"));

        assertThat(written).as("system prompts joined, tool results as user blocks merged with the next user turn,"
                + " the response schema as output_config.format")
                .isEqualTo(JSON.readTree(EventStreams.fixture("/provider/anthropic/full-request.json")));
    }

    @Test
    void aReasoningEffortIsExtendedThinkingWithItsBudgetInsideTheCap() {
        JsonNode uncapped = written(call(withReply(new ReplyOptions(null, null, null, "medium", null))));
        JsonNode capped = written(call(withReply(new ReplyOptions(2000, ReplyOptions.CapName.MAX_COMPLETION_TOKENS, null,
                "high", null))));
        JsonNode none = written(call(withReply(new ReplyOptions(null, null, null, "none", null))));

        assertThat(uncapped.path("thinking").toString()).as("medium's budget")
                .isEqualTo("{\"type\":\"enabled\",\"budget_tokens\":8192}");
        assertThat(uncapped.path("max_tokens").intValue()).as("the budget, and the usual room for the answer")
                .isEqualTo(8192 + AnthropicRequestEncoder.DEFAULT_MAX_TOKENS);
        assertThat(capped.path("thinking").path("budget_tokens").intValue())
                .as("below the caller's cap, which Anthropic counts thinking in, as OpenAI's max_completion_tokens does")
                .isEqualTo(1999);
        assertThat(capped.path("max_tokens").intValue()).isEqualTo(2000);
        assertThat(none.has("thinking")).as("'none' asks for no thinking").isFalse();
    }

    @Test
    void aRequestThatContinuesAToolLoopGoesWithoutThinking() {
        ChatRequest loop = new ChatRequest("smart", List.of(ChatMessage.of(Role.USER, "Time?"),
                new ChatMessage(Role.ASSISTANT, null, List.of(new ToolCall("call_1", "get_time", "{}")), null, null),
                new ChatMessage(Role.TOOL, "14:05", List.of(), "call_1", null)), null,
                new ReplyOptions(null, null, null, "high", null), new ToolUse(List.of(GET_TIME), null, null), null, null);

        assertThat(written(call(loop)).has("thinking"))
                .as("Anthropic would want the calling turn's signed thinking block back, which OpenAI's messages cannot carry")
                .isFalse();
    }

    @Test
    void whatAnthropicCannotExpressIsRefusedByNameNeverDropped() {
        assertThat(refusal(withReply(new ReplyOptions(1000, null, null, "low", null))))
                .as("a cap too small for Anthropic's least thinking").isEqualTo("reasoning_effort");
        assertThat(refusal(withReply(new ReplyOptions(null, null, null, "extreme", null))))
                .as("an effort without a budget").isEqualTo("reasoning_effort");
        assertThat(refusal(withReply(new ReplyOptions(null, null, null, null, new ResponseFormat("json_object", null)))))
                .as("JSON without a schema").isEqualTo("response_format");
        assertThat(refusal(withReply(new ReplyOptions(null, null, 2, null, null)))).isEqualTo("n");
        assertThat(refusal(new ChatRequest("smart", HI, new Sampling(null, null, 7L, null, null, null), null, null, null,
                null))).isEqualTo("seed");
        assertThat(refusal(new ChatRequest("smart", HI, new Sampling(null, null, null, 0.5, null, null), null, null, null,
                null))).isEqualTo("presence_penalty");
        assertThat(refusal(new ChatRequest("smart", HI, null, null, null, null, JsonFields.of("logprobs", "true"))))
                .isEqualTo("logprobs");
        assertThat(refusal(ChatRequest.of("smart", List.of(ChatMessage.of(Role.USER, List.of(new ContentPart.Text("Hear"),
                new ContentPart.Raw("input_audio", "{\"type\":\"input_audio\"}", null)))))))
                .isEqualTo("messages[0].content[1]");
        assertThat(refusal(ChatRequest.of("smart", List.of(new ChatMessage(Role.USER, "Hi", List.of(), null, null,
                List.of(), JsonFields.of("cache_control", "{\"type\":\"ephemeral\"}")))))).isEqualTo("messages[0].cache_control");
    }

    @Test
    void labelsAndWhatEarlierRepliesSaidGoNowhere() {
        ChatRequest request = new ChatRequest("smart", List.of(ChatMessage.of(Role.USER, "Hi"),
                new ChatMessage(Role.ASSISTANT, "Hello", List.of(), null, null, List.of(),
                        JsonFields.of("refusal", "\"no\"")), ChatMessage.of(Role.USER, "Again")),
                new Sampling(null, null, null, 0.0, 0.0, null), null, null, null,
                new JsonFields(List.of(new JsonFields.Field("metadata", "{\"run\":\"1\"}"),
                        new JsonFields.Field("store", "true"))));

        JsonNode written = written(call(request));

        assertThat(written.path("messages")).as("the three messages, without the earlier reply's refusal").hasSize(3);
        assertThat(written.toString()).doesNotContain("refusal").doesNotContain("run");
    }

    @Test
    void aPlainRequestCarriesTheModelADefaultMaxTokensTheMessagesAndStream() {
        JsonNode written = written(call(ChatRequest.of("smart", List.of(ChatMessage.of(Role.USER, "Hi")))));

        assertThat(written.propertyNames()).containsExactlyInAnyOrder("model", "max_tokens", "messages", "stream");
        assertThat(written.path("max_tokens").intValue()).as("required by Anthropic")
                .isEqualTo(AnthropicRequestEncoder.DEFAULT_MAX_TOKENS);
        assertThat(written.path("messages").toString()).isEqualTo("[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}]}]");
        assertThat(written.path("stream").booleanValue()).as("the gateway always streams upstream").isTrue();
    }

    @Test
    void emptyMessagesAreLeftOutAndTheTurnsAroundThemMerge() {
        ChatRequest request = ChatRequest.of("smart", List.of(ChatMessage.of(Role.USER, "Hi"),
                ChatMessage.of(Role.ASSISTANT, " "), ChatMessage.of(Role.USER, "Still there?")));

        JsonNode written = written(call(request));

        assertThat(written.path("messages")).as("Anthropic refuses blank text blocks and turns that do not alternate")
                .hasSize(1);
        assertThat(written.at("/messages/0/content").findValuesAsString("text")).containsExactly("Hi", "Still there?");
    }

    @ParameterizedTest
    @CsvSource({"AUTO, auto", "REQUIRED, any", "NONE, none"})
    void toolChoiceModesMapToAnthropicsTypes(ToolChoice.Mode mode, String type) {
        JsonNode written = written(call(withTools(ToolChoice.of(mode))));

        assertThat(written.path("tool_choice").toString()).isEqualTo("{\"type\":\"" + type + "\"}");
    }

    @Test
    void toolChoiceIsLeftOutWithoutTools() {
        ChatRequest request = new ChatRequest("smart", HI, null, null,
                new ToolUse(List.of(), ToolChoice.of(ToolChoice.Mode.REQUIRED), false), null, null);

        assertThat(written(call(request)).has("tool_choice")).isFalse();
    }

    @Test
    void toolCallArgumentsThatAreNotAJsonObjectAreRefused() {
        ChatRequest request = ChatRequest.of("smart", List.of(ChatMessage.of(Role.USER, "Hi"),
                new ChatMessage(Role.ASSISTANT, null, List.of(new ToolCall("call_9", "f", "{\"oops\"")), null, null)));

        assertThatThrownBy(() -> written(call(request)))
                .as("tool_use.input must be an object; guessing one would change what the model said")
                .isInstanceOf(Rejected.class)
                .hasMessageContaining("call_9");
    }

    @Test
    void aMessageOfPartsIsTextAndImageBlocksInOrder() {
        JsonNode written = written(call(SampleRequests.withImages()));

        assertThat(written.at("/messages/0/content").toString()).as("base64 and URL sources, as the caller ordered them")
                .isEqualTo("[{\"type\":\"text\",\"text\":\"Compare this\"},"
                        + "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\""
                        + SampleRequests.PNG + "\"}},"
                        + "{\"type\":\"text\",\"text\":\"with that:\"},"
                        + "{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":\"https://example.com/cat.jpg\"}}]");
    }

    @Test
    void theApiKeyNeverEntersTheBody() {
        JsonNode body = written(new UpstreamCall("m", ChatRequest.of("smart", List.of(ChatMessage.of(Role.USER, "Hi"))),
                "sk-ant-very-secret"));

        assertThat(body.toString()).as("the key travels in x-api-key only").doesNotContain("sk-ant-very-secret");
    }

    private static ChatRequest withTools(ToolChoice choice) {
        return new ChatRequest("smart", List.of(ChatMessage.of(Role.USER, "Time?")), null, null,
                new ToolUse(List.of(GET_TIME), choice, null), null, null);
    }

    private static ChatRequest withReply(ReplyOptions reply) {
        return new ChatRequest("smart", HI, null, reply, null, null, null);
    }

    /** The parameter the encoder refuses {@code request} for. */
    private String refusal(ChatRequest request) {
        Throwable refused = catchThrowable(() -> written(call(request)));
        assertThat(refused).isInstanceOf(Unsupported.class);
        assertThat(refused.getMessage()).as("the message names it too").startsWith(((Unsupported) refused).parameter() + ": ");
        return ((Unsupported) refused).parameter();
    }

    private JsonNode written(UpstreamCall call) {
        return JSON.readTree(JSON.writeValueAsBytes(encoder.wire(call)));
    }

    private static UpstreamCall call(ChatRequest request) {
        return new UpstreamCall("claude-haiku-4-5", request, null);
    }
}
