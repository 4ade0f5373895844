package dev.sluice.gateway.chat.openai;

import java.util.List;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.ContentPart;
import dev.sluice.gateway.llm.JsonFields;
import dev.sluice.gateway.llm.ReplyOptions;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.web.GatewayException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** OpenAI request bodies read into the neutral request: what Sluice models, and what it keeps as it came. */
class ChatCompletionRequestReaderTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String HI = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";

    @Test
    void severalTextPartsStaySeveralPartsAndReadAsParagraphs() {
        ChatMessage message = read("{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":["
                + "{\"type\":\"text\",\"text\":\"one\"},{\"type\":\"text\",\"text\":\"two\"}]}]}").messages().get(0);

        assertThat(message.parts()).as("sent to the provider as the caller split them")
                .containsExactly(new ContentPart.Text("one"), new ContentPart.Text("two"));
        assertThat(message.content()).as("what limits, estimates and history read: never 'onetwo'").isEqualTo("one\ntwo");
    }

    @Test
    void oneTextPartIsPlainText() {
        ChatMessage message = read("{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":["
                + "{\"type\":\"text\",\"text\":\"one\"}]}]}").messages().get(0);

        assertThat(message).isEqualTo(ChatMessage.of(Role.USER, "one"));
    }

    @Test
    void imagesAreReadByUrlOrInlineFromDataUrlsWithTheirDetail() {
        List<ContentPart> parts = read("{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":["
                + "{\"type\":\"text\",\"text\":\"Which?\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\",\"detail\":\"high\"}},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/cat.jpg\"}}]}]}").messages().get(0).parts();

        assertThat(parts).containsExactly(new ContentPart.Text("Which?"),
                new ContentPart.Image("image/png", "iVBORw0KGgo=", null, "high"),
                ContentPart.Image.at("https://example.com/cat.jpg"));
    }

    @Test
    void partsOfOtherKindsOrWithOtherFieldsAreKeptAsTheyCame() {
        String audio = "{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"UklGRg==\",\"format\":\"wav\"}}";
        String file = "{\"type\":\"file\",\"file\":{\"filename\":\"a.pdf\",\"file_data\":\"data:application/pdf;base64,JVBE\"}}";
        String cached = "{\"type\":\"text\",\"text\":\"long context\",\"cache_control\":{\"type\":\"ephemeral\"}}";
        String image = "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/a.png\",\"format\":\"png\"}}";

        ChatMessage message = read("{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":["
                + audio + "," + file + "," + cached + "," + image + "]}]}").messages().get(0);

        assertThat(message.parts()).containsExactly(new ContentPart.Raw("input_audio", audio, null),
                new ContentPart.Raw("file", file, null), new ContentPart.Raw("text", cached, "long context"),
                new ContentPart.Raw("image_url", image, null));
        assertThat(message.content()).as("the text among them still counts").isEqualTo("long context");
    }

    @Test
    void parametersSluiceHasNoUseForAreKeptAsTheyCameAndNullsAreNotSet() {
        ChatRequest request = read("{\"model\":\"fast\"," + HI + ",\"logprobs\":true,\"top_logprobs\":3,"
                + "\"logit_bias\":{\"50256\":-100},\"metadata\":{\"run\":\"r-1\"},\"store\":null,"
                + "\"prediction\":{\"type\":\"content\",\"content\":\"x\"},\"modalities\":[\"text\"],"
                + "\"a_field_of_next_year\":{\"deep\":[1,2.5,\"é\"]}}");

        assertThat(request.passThrough().fields()).containsExactlyInAnyOrder(
                new JsonFields.Field("logprobs", "true"), new JsonFields.Field("top_logprobs", "3"),
                new JsonFields.Field("logit_bias", "{\"50256\":-100}"), new JsonFields.Field("metadata", "{\"run\":\"r-1\"}"),
                new JsonFields.Field("prediction", "{\"type\":\"content\",\"content\":\"x\"}"),
                new JsonFields.Field("modalities", "[\"text\"]"),
                new JsonFields.Field("a_field_of_next_year", "{\"deep\":[1,2.5,\"é\"]}"));
    }

    @Test
    void aMessagesOtherFieldsAreKeptToo() {
        ChatMessage assistant = read("{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
                + "{\"role\":\"assistant\",\"content\":\"Hello\",\"refusal\":null,\"reasoning_content\":\"Greet.\","
                + "\"annotations\":[]}]}").messages().get(1);

        assertThat(assistant.extra().fields()).containsExactlyInAnyOrder(
                new JsonFields.Field("reasoning_content", "\"Greet.\""), new JsonFields.Field("annotations", "[]"));
    }

    @Test
    void maxCompletionTokensKeepsItsNameAndReasoningEffortAndNAreRead() {
        ChatRequest request = read("{\"model\":\"fast\"," + HI + ",\"max_completion_tokens\":300,"
                + "\"reasoning_effort\":\"minimal\",\"n\":3}");

        assertThat(request.reply()).isEqualTo(new ReplyOptions(300, ReplyOptions.CapName.MAX_COMPLETION_TOKENS, 3,
                "minimal", null));
        assertThat(read("{\"model\":\"fast\"," + HI + ",\"max_tokens\":30}").reply().capName())
                .isEqualTo(ReplyOptions.CapName.MAX_TOKENS);
        assertThat(read("{\"model\":\"fast\"," + HI + "}").reply().capName()).as("no cap, no name").isNull();
    }

    @Test
    void bothCapsAreOneTheSmallerUnderTheNewerName() {
        ReplyOptions reply = read("{\"model\":\"fast\"," + HI + ",\"max_tokens\":50,\"max_completion_tokens\":300}").reply();

        assertThat(reply.maxTokens()).isEqualTo(50);
        assertThat(reply.capName()).isEqualTo(ReplyOptions.CapName.MAX_COMPLETION_TOKENS);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            no choices                  | "n":0                                                       | n
            a cap of nothing            | "max_completion_tokens":0                                   | max_completion_tokens
            a blank effort              | "reasoning_effort":" "                                      | reasoning_effort
            a part without a type       | "messages":[{"role":"user","content":[{"text":"x"}]}]         | messages[0].content[0].type
            an image without a URL      | "messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}] | messages[0].content[0].image_url.url
            a text part without text    | "messages":[{"role":"user","content":[{"type":"text"}]}]      | messages[0].content[0].text
            """)
    void whatIsWrongIsNamed(String what, String field, String param) {
        String body = field.startsWith("\"messages\"") ? "{\"model\":\"fast\"," + field + "}"
                : "{\"model\":\"fast\"," + HI + "," + field + "}";

        assertThatThrownBy(() -> read(body)).as(what)
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.param()).isEqualTo(param));
    }

    private static ChatRequest read(String body) {
        JsonNode tree = JSON.readTree(body);
        return ChatCompletionRequestReader.read(JSON.treeToValue(tree, ChatCompletionRequest.class));
    }
}
