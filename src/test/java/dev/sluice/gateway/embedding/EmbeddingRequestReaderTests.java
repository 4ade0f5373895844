package dev.sluice.gateway.embedding;

import java.util.List;

import dev.sluice.gateway.web.GatewayException;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every shape of OpenAI's embeddings input is read; everything else is a 400 naming the field. */
class EmbeddingRequestReaderTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int MAX_INPUTS = 3;

    @Test
    void aStringIsOneText() {
        EmbeddingRequest request = read("{\"model\":\"embed\",\"input\":\"hello world\"}");

        assertThat(request.model()).isEqualTo("embed");
        assertThat(request.input()).isEqualTo(new EmbeddingInput.Texts(List.of("hello world")));
        assertThat(request.encodingFormat()).as("not sent").isNull();
        assertThat(request.base64()).isFalse();
        assertThat(request.input().estimatedTokens()).as("11 characters").isEqualTo(3);
    }

    @Test
    void anArrayOfStringsIsOneTextEach() {
        EmbeddingRequest request = read("{\"model\":\"embed\",\"input\":[\"a\",\"bb\"],\"encoding_format\":\"base64\","
                + "\"dimensions\":64,\"user\":\"u-1\"}");

        assertThat(request.input()).isEqualTo(new EmbeddingInput.Texts(List.of("a", "bb")));
        assertThat(request.input().count()).isEqualTo(2);
        assertThat(request.base64()).isTrue();
        assertThat(request.dimensions()).isEqualTo(64);
        assertThat(request.user()).isEqualTo("u-1");
    }

    @Test
    void anArrayOfTokenIdsIsOneInputAndAnArrayOfThemOneEachCountedToken() {
        EmbeddingInput one = read("{\"model\":\"embed\",\"input\":[1,2,3,4]}").input();
        EmbeddingInput two = read("{\"model\":\"embed\",\"input\":[[1,2],[3,4,5]]}").input();

        assertThat(one).isInstanceOf(EmbeddingInput.TokenArrays.class);
        assertThat(((EmbeddingInput.TokenArrays) one).arrays()).singleElement().isEqualTo(new int[] {1, 2, 3, 4});
        assertThat(one.count()).as("however many ids, one input: max-inputs does not count them").isEqualTo(1);
        assertThat(two.count()).isEqualTo(2);
        assertThat(two.estimatedTokens()).as("the ids themselves").isEqualTo(5);
    }

    @Test
    void theBodyIsKeptAsSentForTheProvidersThatSpeakOpenAi() {
        EmbeddingRequest request = read("{\"model\":\"embed\",\"input\":\"x\",\"truncate\":\"END\"}");

        assertThat(request.body().toString()).isEqualTo("{\"model\":\"embed\",\"input\":\"x\",\"truncate\":\"END\"}");
    }

    @Test
    void eachRefusalNamesTheFieldAtFault() {
        assertRefused("{\"input\":\"x\"}", "model", "model: is required (a string)");
        assertRefused("{\"model\":\"bad model\",\"input\":\"x\"}", "model", "model: may only hold");
        assertRefused("{\"model\":\"embed\"}", "input", "input: is required");
        assertRefused("{\"model\":\"embed\",\"input\":{}}", "input", "input: must be a string, an array of strings");
        assertRefused("{\"model\":\"embed\",\"input\":\"\"}", "input", "input: must not be empty");
        assertRefused("{\"model\":\"embed\",\"input\":[]}", "input", "input: must not be an empty array");
        assertRefused("{\"model\":\"embed\",\"input\":[\"a\",\"\"]}", "input[1]", "input[1]: must not be empty");
        assertRefused("{\"model\":\"embed\",\"input\":[\"a\",[1]]}", "input[1]", "input[1]: must be a string");
        assertRefused("{\"model\":\"embed\",\"input\":[1,2.5]}", "input[1]", "input[1]: must be a token id");
        assertRefused("{\"model\":\"embed\",\"input\":[[1],[]]}", "input[1]", "input[1]: must not be an empty array");
        assertRefused("{\"model\":\"embed\",\"input\":[[1],[2,-1]]}", "input[1][1]", "input[1][1]: must be a token id");
        assertRefused("{\"model\":\"embed\",\"input\":[true]}", "input[0]", "input[0]: must be a string, a token id");
        assertRefused("{\"model\":\"embed\",\"input\":[\"a\",\"b\",\"c\",\"d\"]}", "input",
                "input: 4 inputs, over the limit of 3");
        assertRefused("{\"model\":\"embed\",\"input\":\"x\",\"encoding_format\":\"hex\"}", "encoding_format",
                "encoding_format: must be float or base64");
        assertRefused("{\"model\":\"embed\",\"input\":\"x\",\"dimensions\":-4}", "dimensions", "dimensions: must be a positive");
        assertRefused("{\"model\":\"embed\",\"input\":\"x\",\"dimensions\":\"64\"}", "dimensions", "dimensions: must be a positive");
        assertRefused("{\"model\":\"embed\",\"input\":\"x\",\"user\":[\"u\"]}", "user", "user: must be a string");
    }

    @Test
    void aBodyThatIsNotAnObjectIsRefused() {
        assertThatThrownBy(() -> EmbeddingRequestReader.read(JSON.readTree("[\"x\"]"), MAX_INPUTS))
                .isInstanceOf(GatewayException.class)
                .hasMessage("The request body must be a JSON object");
    }

    private static EmbeddingRequest read(String json) {
        return EmbeddingRequestReader.read(JSON.readTree(json), MAX_INPUTS);
    }

    private static void assertRefused(String json, String param, String message) {
        assertThatThrownBy(() -> read(json)).as(json)
                .isInstanceOfSatisfying(GatewayException.class, refused -> {
                    assertThat(refused.param()).as("the field of %s", json).isEqualTo(param);
                    assertThat(refused.getMessage()).as("the message of %s", json).startsWith(message);
                });
    }
}
