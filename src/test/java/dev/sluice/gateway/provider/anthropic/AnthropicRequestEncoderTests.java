package dev.sluice.gateway.provider.anthropic;

import java.util.List;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.llm.ToolChoice;
import dev.sluice.gateway.llm.ToolDefinition;
import dev.sluice.gateway.provider.UpstreamCall;
import dev.sluice.gateway.provider.UpstreamException.Rejected;
import dev.sluice.gateway.provider.http.EventStreams;
import dev.sluice.gateway.provider.http.SampleRequests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AnthropicRequestEncoderTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final ToolDefinition GET_TIME = new ToolDefinition("get_time", null, null, null);

    private final AnthropicRequestEncoder encoder = new AnthropicRequestEncoder(JSON);

    @Test
    void aToolRoundTripWithSystemPromptsIsWrittenTheWayTheMessagesApiWantsIt() {
        JsonNode written = written(new UpstreamCall("claude-sonnet-4-5", SampleRequests.toolRoundTrip(), "sk-ant-secret"));

        assertThat(written).as("system prompts joined, tool results as user blocks merged with the next user turn;"
                + " seed, penalties and JSON mode left out: Anthropic has none")
                .isEqualTo(JSON.readTree(EventStreams.fixture("/provider/anthropic/full-request.json")));
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
        ChatRequest request = new ChatRequest("smart", List.of(ChatMessage.of(Role.USER, "Hi")), null, null, null, null,
                null, null, null, List.of(), ToolChoice.of(ToolChoice.Mode.REQUIRED), false, null, null);

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
        return new ChatRequest("smart", List.of(ChatMessage.of(Role.USER, "Time?")), null, null, null, null, null, null,
                null, List.of(GET_TIME), choice, null, null, null);
    }

    private JsonNode written(UpstreamCall call) {
        return JSON.readTree(JSON.writeValueAsBytes(encoder.wire(call)));
    }

    private static UpstreamCall call(ChatRequest request) {
        return new UpstreamCall("claude-haiku-4-5", request, null);
    }
}
