package dev.sluice.gateway.llm;

import java.util.List;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/** Characters over four, rounded up once, over every field a provider reads. */
class TokenEstimateTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void charactersOverFourRoundUp() {
        assertThat(TokenEstimate.ofChars(0)).isZero();
        assertThat(TokenEstimate.ofChars(1)).isEqualTo(1);
        assertThat(TokenEstimate.ofChars(8)).isEqualTo(2);
        assertThat(TokenEstimate.ofChars(9)).isEqualTo(3);
    }

    @Test
    void theSystemPromptAndEveryMessageCount() {
        ChatRequest request = ChatRequest.of("m", List.of(ChatMessage.of(Role.SYSTEM, "x".repeat(40)),
                ChatMessage.of(Role.USER, "y".repeat(40))));

        assertThat(TokenEstimate.input(request)).isEqualTo(20);
    }

    @Test
    void toolDefinitionsToolCallsAndTheResponseSchemaCountToo() {
        ChatMessage call = new ChatMessage(Role.ASSISTANT, null, List.of(new ToolCall("c1", "f", "a".repeat(400))), null, null);
        ChatMessage answer = new ChatMessage(Role.TOOL, "ok", List.of(), "c1", null);
        ToolDefinition tool = new ToolDefinition("f", "d".repeat(400), JSON.readTree("{\"type\":\"object\"}"), null);
        ResponseFormat format = new ResponseFormat("json_schema", JSON.readTree("{\"title\":\"" + "t".repeat(400) + "\"}"));
        ChatRequest bare = ChatRequest.of("m", List.of(call, answer));
        ChatRequest full = new ChatRequest("m", List.of(call, answer), new Sampling(null, null, null, null, null, List.of("STOP")),
                new ReplyOptions(null, null, null, null, format), new ToolUse(List.of(tool), null, null), null, null);

        assertThat(TokenEstimate.input(bare)).as("the call's id, name and 400 characters of arguments, the answer and its id")
                .isEqualTo(TokenEstimate.ofChars(2 + 1 + 400 + 2 + 2));
        assertThat(TokenEstimate.input(full) - TokenEstimate.input(bare)).as("the tool, its schema, the response schema, the stop")
                .isGreaterThanOrEqualTo((400 + 400 + 4) / 4);
    }

    @Test
    void anImageCountsAsAFixedNumberOfTokensWhateverItsEncodedSize() {
        ChatRequest small = ChatRequest.of("m", List.of(ChatMessage.of(Role.USER,
                List.of(new ContentPart.Text("x".repeat(40)), ContentPart.Image.inline("image/png", "A".repeat(100))))));
        ChatRequest large = ChatRequest.of("m", List.of(ChatMessage.of(Role.USER,
                List.of(new ContentPart.Text("x".repeat(40)), ContentPart.Image.inline("image/png", "A".repeat(100_000))))));

        assertThat(TokenEstimate.input(small)).as("the text, and the image's flat rate").isEqualTo(10 + TokenEstimate.IMAGE_TOKENS);
        assertThat(TokenEstimate.input(large)).as("base64 characters are no tokens").isEqualTo(TokenEstimate.input(small));
    }

    @Test
    void aPartThatIsNotTextCountsAsAnImageAndOneThatHoldsTextCountsItsText() {
        ChatRequest audio = ChatRequest.of("m", List.of(ChatMessage.of(Role.USER, List.of(new ContentPart.Text("x".repeat(40)),
                new ContentPart.Raw("input_audio", "{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"" + "A".repeat(10_000)
                        + "\"}}", null)))));
        ChatRequest cachedText = ChatRequest.of("m", List.of(ChatMessage.of(Role.USER, List.of(new ContentPart.Text("x".repeat(40)),
                new ContentPart.Raw("text", "{\"type\":\"text\",\"text\":\"" + "y".repeat(40) + "\",\"cache_control\":{}}",
                        "y".repeat(40))))));

        assertThat(TokenEstimate.input(audio)).as("seconds of audio, which its size does not tell")
                .isEqualTo(10 + TokenEstimate.IMAGE_TOKENS);
        assertThat(TokenEstimate.input(cachedText)).as("both texts and the newline between them")
                .isEqualTo(TokenEstimate.ofChars(81));
    }

    @Test
    void parametersPassedThroughAndMessageFieldsCountAsTheyCame() {
        ChatRequest bare = ChatRequest.of("m", List.of(ChatMessage.of(Role.USER, "Hi")));
        ChatRequest predicted = new ChatRequest("m", List.of(new ChatMessage(Role.USER, "Hi", List.of(), null, null, List.of(),
                JsonFields.of("note", "\"" + "n".repeat(100) + "\""))), null, null, null, null,
                JsonFields.of("prediction", "{\"type\":\"content\",\"content\":\"" + "p".repeat(400) + "\"}"));

        assertThat(TokenEstimate.input(predicted) - TokenEstimate.input(bare)).as("a prediction is billed; the rest counts too")
                .isGreaterThanOrEqualTo((400 + 100) / 4);
    }
}
