package dev.sluice.gateway.provider.openai;

import java.io.IOException;
import java.io.InputStream;
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
import dev.sluice.gateway.provider.http.SampleRequests;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

class OpenAiRequestEncoderTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void everyFieldOfARichRequestIsWrittenTheWayOpenAiNamesIt() throws IOException {
        ChatRequest request = new ChatRequest("fast",
                List.of(ChatMessage.of(Role.SYSTEM, "You are terse."),
                        ChatMessage.of(Role.USER, "Weather in Paris?"),
                        new ChatMessage(Role.ASSISTANT, null, List.of(new ToolCall("call_1", "get_weather", "{\"city\":\"Paris\"}")),
                                null, null),
                        new ChatMessage(Role.TOOL, "{\"temp_c\":21}", null, "call_1", "get_weather"),
                        ChatMessage.of(Role.USER, "")),
                new Sampling(0.2, 0.9, 42L, 0.1, 0.3, List.of("\n\n")),
                new ReplyOptions(256, ReplyOptions.CapName.MAX_TOKENS, null, null,
                        new ResponseFormat("json_schema", JSON.readTree("{\"name\":\"weather\",\"schema\":{\"type\":\"object\"}}"))),
                new ToolUse(List.of(new ToolDefinition("get_weather", "Current weather in a city",
                        JSON.readTree("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}"),
                        true)), ToolChoice.function("get_weather"), false),
                "user-7", null);

        JsonNode written = JSON.readTree(encode(new UpstreamCall("gpt-4o-mini", request, "sk-secret")));

        assertThat(written).as("the recorded request body").isEqualTo(fixture("full-request.json"));
    }

    @Test
    void whatTheNeutralModelDoesNotModelGoesBackAsTheCallerWroteIt() throws IOException {
        ChatRequest request = new ChatRequest("reasoning",
                List.of(new ChatMessage(Role.USER, "Transcribe this\nand this", List.of(), null, null, List.of(
                                new ContentPart.Text("Transcribe this"),
                                new ContentPart.Raw("input_audio",
                                        "{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"UklGRg==\",\"format\":\"wav\"}}", null),
                                new ContentPart.Image(null, null, "https://example.com/a.png", "high"),
                                new ContentPart.Raw("text", "{\"type\":\"text\",\"text\":\"and this\",\"cache_control\":{\"type\":\"ephemeral\"}}",
                                        "and this")),
                                JsonFields.EMPTY),
                        new ChatMessage(Role.ASSISTANT, "Done.", List.of(), null, null, List.of(),
                                JsonFields.of("reasoning_content", "\"It was short.\""))),
                null,
                new ReplyOptions(300, ReplyOptions.CapName.MAX_COMPLETION_TOKENS, 2, "high", null),
                null, null,
                new JsonFields(List.of(new JsonFields.Field("logprobs", "true"), new JsonFields.Field("top_logprobs", "2"),
                        new JsonFields.Field("logit_bias", "{\"50256\":-100}"),
                        new JsonFields.Field("metadata", "{\"run\":\"r-1\"}"),
                        new JsonFields.Field("prediction", "{\"type\":\"content\",\"content\":\"Done.\"}"),
                        new JsonFields.Field("modalities", "[\"text\"]"),
                        new JsonFields.Field("verbosity_next_year", "\"terse\""))));

        JsonNode written = JSON.readTree(encode(new UpstreamCall("o4-mini", request, null)));

        assertThat(written).as("the recorded request body").isEqualTo(fixture("pass-through-request.json"));
        assertThat(written.has("max_tokens")).as("the cap goes only under the name the caller gave it").isFalse();
    }

    @Test
    void aCapTheCallerDidNotNameGoesUnderTheProvidersName() {
        ChatRequest quotaCapped = ChatRequest.of("fast", List.of(ChatMessage.of(Role.USER, "Hi"))).withMaxTokens(1000);

        JsonNode byDefault = JSON.readTree(encode(call(quotaCapped)));
        JsonNode forReasoningModels = JSON.readTree(JSON.writeValueAsBytes(
                new OpenAiRequestEncoder(ReplyOptions.CapName.MAX_COMPLETION_TOKENS).wire(call(quotaCapped))));

        assertThat(byDefault.path("max_tokens").intValue()).as("the name every OpenAI-compatible server reads")
                .isEqualTo(1000);
        assertThat(forReasoningModels.path("max_completion_tokens").intValue())
                .as("the name OpenAI's reasoning models require, where the operator chose it").isEqualTo(1000);
        assertThat(forReasoningModels.has("max_tokens")).isFalse();
    }

    @Test
    void aQuotasCapOfANamedCapKeepsTheName() {
        ChatRequest request = new ChatRequest("fast", List.of(ChatMessage.of(Role.USER, "Hi")), null,
                new ReplyOptions(5000, ReplyOptions.CapName.MAX_COMPLETION_TOKENS, null, null, null), null, null, null)
                .withMaxTokens(1000);

        JsonNode written = JSON.readTree(encode(call(request)));

        assertThat(written.path("max_completion_tokens").intValue()).as("the capped value, under the caller's name")
                .isEqualTo(1000);
        assertThat(written.has("max_tokens")).isFalse();
    }

    @Test
    void aPlainRequestCarriesOnlyTheModelTheMessagesAndTheStreamingSwitches() {
        ChatRequest request = ChatRequest.of("fast", List.of(ChatMessage.of(Role.USER, "Hi")));

        JsonNode written = JSON.readTree(encode(new UpstreamCall("llama-3.1-8b-instant", request, null)));

        assertThat(written.propertyNames()).as("unset parameters are left to the provider's defaults")
                .containsExactlyInAnyOrder("model", "messages", "stream", "stream_options");
        assertThat(written.path("model").stringValue()).as("the provider's own model name, not the alias")
                .isEqualTo("llama-3.1-8b-instant");
        assertThat(written.path("messages").toString()).isEqualTo("[{\"role\":\"user\",\"content\":\"Hi\"}]");
        assertThat(written.path("stream").booleanValue()).as("a streamed call").isTrue();
        assertThat(written.path("stream_options").path("include_usage").booleanValue())
                .as("usage is needed to settle quotas").isTrue();
    }

    @Test
    void aWholeCallAsksForAWholeReplyWhichCarriesItsUsageUnasked() {
        ChatRequest request = ChatRequest.of("fast", List.of(ChatMessage.of(Role.USER, "Hi")));

        JsonNode written = JSON.readTree(encode(new UpstreamCall("llama-3.1-8b-instant", request, null, true)));

        assertThat(written.propertyNames()).containsExactlyInAnyOrder("model", "messages", "stream");
        assertThat(written.path("stream").booleanValue()).isFalse();
    }

    @Test
    void toolChoiceModesAreWrittenAsPlainStrings() {
        for (ToolChoice.Mode mode : List.of(ToolChoice.Mode.AUTO, ToolChoice.Mode.NONE, ToolChoice.Mode.REQUIRED)) {
            JsonNode written = JSON.readTree(encode(call(withTools(ToolChoice.of(mode), true))));

            assertThat(written.path("tool_choice").stringValue()).as("mode " + mode)
                    .isEqualTo(mode.name().toLowerCase());
            assertThat(written.path("parallel_tool_calls").booleanValue()).isTrue();
        }
    }

    @Test
    void toolChoiceAndParallelToolCallsAreDroppedWhenThereAreNoTools() {
        ChatRequest request = new ChatRequest("fast", List.of(ChatMessage.of(Role.USER, "Hi")), null, null,
                new ToolUse(List.of(), ToolChoice.of(ToolChoice.Mode.AUTO), true), null, null);

        JsonNode written = JSON.readTree(encode(call(request)));

        assertThat(written.has("tool_choice")).as("OpenAI answers 400 to tool_choice without tools").isFalse();
        assertThat(written.has("parallel_tool_calls")).as("OpenAI answers 400 to parallel_tool_calls without tools").isFalse();
        assertThat(written.has("tools")).isFalse();
    }

    @Test
    void aResponseFormatWithoutSchemaIsJustItsType() {
        ChatRequest request = new ChatRequest("fast", List.of(ChatMessage.of(Role.USER, "Hi")), null,
                new ReplyOptions(null, null, null, null, new ResponseFormat("json_object", null)), null, null, null);

        JsonNode written = JSON.readTree(encode(call(request)));

        assertThat(written.path("response_format").toString()).isEqualTo("{\"type\":\"json_object\"}");
    }

    @Test
    void aMessageOfPartsIsAnArrayOfContentPartsInOrderWithInlineImagesAsDataUrls() {
        JsonNode written = JSON.readTree(encode(call(SampleRequests.withImages())));

        assertThat(written.at("/messages/0/content").toString()).as("text and images as the caller ordered them")
                .isEqualTo("[{\"type\":\"text\",\"text\":\"Compare this\"},"
                        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64," + SampleRequests.PNG + "\"}},"
                        + "{\"type\":\"text\",\"text\":\"with that:\"},"
                        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/cat.jpg\"}}]");
    }

    @Test
    void theApiKeyNeverEntersTheBody() {
        byte[] body = encode(new UpstreamCall("m", ChatRequest.of("fast", List.of(ChatMessage.of(Role.USER, "Hi"))),
                "sk-very-secret"));

        assertThat(new String(body)).as("the key travels in the Authorization header only").doesNotContain("sk-very-secret");
    }

    private static ChatRequest withTools(ToolChoice choice, Boolean parallel) {
        ToolDefinition tool = new ToolDefinition("get_time", null, JSON.readTree("{\"type\":\"object\"}"), null);
        return new ChatRequest("fast", List.of(ChatMessage.of(Role.USER, "Time?")), null, null,
                new ToolUse(List.of(tool), choice, parallel), null, null);
    }

    private static byte[] encode(UpstreamCall call) {
        return JSON.writeValueAsBytes(new OpenAiRequestEncoder(ReplyOptions.CapName.MAX_TOKENS).wire(call));
    }

    private static UpstreamCall call(ChatRequest request) {
        return new UpstreamCall("m", request, null);
    }

    private static JsonNode fixture(String name) throws IOException {
        try (InputStream in = OpenAiRequestEncoderTests.class.getResourceAsStream("/provider/openai/" + name)) {
            return JSON.readTree(in);
        }
    }
}
