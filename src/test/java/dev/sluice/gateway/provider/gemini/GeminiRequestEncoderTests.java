package dev.sluice.gateway.provider.gemini;

import java.util.List;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.ContentPart;
import dev.sluice.gateway.llm.JsonFields;
import dev.sluice.gateway.llm.ReplyOptions;
import dev.sluice.gateway.llm.ResponseFormat;
import dev.sluice.gateway.llm.Role;
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

class GeminiRequestEncoderTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final ToolDefinition GET_TIME = new ToolDefinition("get_time", null, null, null);

    private final GeminiRequestEncoder encoder = new GeminiRequestEncoder(JSON);

    @Test
    void aToolRoundTripWithSystemPromptsIsWrittenTheWayGeminiWantsIt() {
        JsonNode written = written(new UpstreamCall("gemini-2.5-flash", SampleRequests.toolRoundTrip(), "AIza-secret"));

        assertThat(written).as("function responses named after the calls they answer, a JSON result as it is and"
                + " text wrapped; OpenAI's JSON Schemas passed as JSON Schema")
                .isEqualTo(JSON.readTree(EventStreams.fixture("/provider/gemini/full-request.json")));
    }

    @Test
    void aPlainRequestCarriesOnlyTheContents() {
        JsonNode written = written(call(ChatRequest.of("fast", List.of(ChatMessage.of(Role.USER, "Hi")))));

        assertThat(written.propertyNames()).as("the model is in the URL; unset parameters are Gemini's defaults")
                .containsExactly("contents");
        assertThat(written.path("contents").toString()).isEqualTo("[{\"role\":\"user\",\"parts\":[{\"text\":\"Hi\"}]}]");
    }

    @Test
    void jsonObjectAsksForJsonWithoutASchema() {
        ChatRequest request = new ChatRequest("fast", List.of(ChatMessage.of(Role.USER, "Hi")), null,
                new ReplyOptions(null, null, null, null, new ResponseFormat("json_object", null)), null, null, null);

        assertThat(written(call(request)).path("generationConfig").toString())
                .isEqualTo("{\"responseMimeType\":\"application/json\"}");
    }

    @ParameterizedTest
    @CsvSource({"AUTO, AUTO", "REQUIRED, ANY", "NONE, NONE"})
    void toolChoiceModesMapToFunctionCallingModes(ToolChoice.Mode mode, String geminiMode) {
        ChatRequest request = new ChatRequest("fast", List.of(ChatMessage.of(Role.USER, "Time?")), null, null,
                new ToolUse(List.of(GET_TIME), ToolChoice.of(mode), null), null, null);

        assertThat(written(call(request)).path("toolConfig").toString())
                .isEqualTo("{\"functionCallingConfig\":{\"mode\":\"" + geminiMode + "\"}}");
    }

    @Test
    void aToolResultAnsweringNoEarlierCallIsRefused() {
        ChatRequest request = ChatRequest.of("fast", List.of(ChatMessage.of(Role.USER, "Hi"),
                new ChatMessage(Role.TOOL, "42", null, "call_unknown", null)));

        assertThatThrownBy(() -> written(call(request)))
                .as("Gemini needs the function's name, which only the call it answers says")
                .isInstanceOf(Rejected.class).hasMessageContaining("call_unknown");
    }

    @Test
    void aToolResultNamesItsFunctionItselfWhenTheCallIsNotInTheContext() {
        ChatRequest request = ChatRequest.of("fast", List.of(ChatMessage.of(Role.USER, "Hi"),
                new ChatMessage(Role.TOOL, "[1, 2]", null, "call_old", "get_numbers")));

        JsonNode written = written(call(request));

        assertThat(written.at("/contents/0/parts/1/functionResponse").toString()).as("a JSON array is no object: wrapped")
                .isEqualTo("{\"name\":\"get_numbers\",\"response\":{\"result\":\"[1, 2]\"}}");
    }

    @Test
    void aMessageOfPartsIsTextAndInlineDataPartsInOrder() {
        ChatRequest inlineOnly = ChatRequest.of("fast", List.of(ChatMessage.of(Role.USER, List.of(
                new ContentPart.Text("What is this?"), ContentPart.Image.inline("image/png", SampleRequests.PNG)))));

        JsonNode written = written(call(inlineOnly));

        assertThat(written.at("/contents/0/parts").toString()).isEqualTo("[{\"text\":\"What is this?\"},"
                + "{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"" + SampleRequests.PNG + "\"}}]");
    }

    @Test
    void anImageByUrlIsRefusedNamingThePart() {
        assertThatThrownBy(() -> written(call(SampleRequests.withImages())))
                .as("Sluice sends Gemini images inline only, and says so rather than drop one")
                .isInstanceOfSatisfying(Unsupported.class, refused -> assertThat(refused.parameter())
                        .isEqualTo("messages[0].content[3]"))
                .hasMessageContaining("inline");
    }

    @ParameterizedTest
    @CsvSource({"none, 0", "low, 1024", "medium, 8192", "high, 24576"})
    void aReasoningEffortIsAThinkingBudget(String effort, int budget) {
        ChatRequest request = new ChatRequest("fast", List.of(ChatMessage.of(Role.USER, "Hi")), null,
                new ReplyOptions(null, null, null, effort, null), null, null, null);

        assertThat(written(call(request)).path("generationConfig").toString())
                .isEqualTo("{\"thinkingConfig\":{\"thinkingBudget\":" + budget + "}}");
    }

    @Test
    void aParameterOnlyOpenAiTakesIsRefusedByName() {
        ChatRequest request = new ChatRequest("fast", List.of(ChatMessage.of(Role.USER, "Hi")), null, null, null, null,
                JsonFields.of("logit_bias", "{\"1\":-100}"));

        assertThatThrownBy(() -> written(call(request))).as("never dropped: the reply would answer another request")
                .isInstanceOfSatisfying(Unsupported.class, refused -> assertThat(refused.parameter()).isEqualTo("logit_bias"));
    }

    private JsonNode written(UpstreamCall call) {
        return JSON.readTree(JSON.writeValueAsBytes(encoder.wire(call)));
    }

    private static UpstreamCall call(ChatRequest request) {
        return new UpstreamCall("gemini-2.5-flash", request, null);
    }
}
