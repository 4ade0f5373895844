package dev.sluice.gateway.chat.openai;

import java.util.List;

import dev.sluice.gateway.chat.EventWriters;
import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatReply;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.JsonFields;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import static org.assertj.core.api.Assertions.assertThat;

/** The bytes of a {@code /v1} stream, field by field as OpenAI's own chunks have them. */
class ChatCompletionEncoderTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final JsonFields FINGERPRINT = JsonFields.of("system_fingerprint", "\"fp_1\"");

    private final ChatCompletionEncoder encoder = new ChatCompletionEncoder("fast", true, JSON);

    @Test
    void aStreamIsChunksWithTheRoleOnceAFinishWithANullMidStreamThenUsageAndDone() {
        String stream = EventWriters.write(out -> {
            encoder.chunk(new ChatChunk.TextDelta("Hé \"you\"\n"), out);
            encoder.chunk(new ChatChunk.TextDelta("!"), out);
            encoder.chunk(new ChatChunk.Finish(FinishReason.STOP), out);
            encoder.chunk(new ChatChunk.Usage(3, 2), out);
            encoder.complete(out);
        });

        assertThat(lines(stream)).containsExactly(
                "data:{\"id\":\"ID\",\"object\":\"chat.completion.chunk\",\"created\":T,\"model\":\"fast\",\"choices\":[{\"index\":0,"
                        + "\"delta\":{\"role\":\"assistant\",\"content\":\"Hé \\\"you\\\"\\n\"},\"finish_reason\":null}]}",
                "data:{\"id\":\"ID\",\"object\":\"chat.completion.chunk\",\"created\":T,\"model\":\"fast\",\"choices\":[{\"index\":0,"
                        + "\"delta\":{\"content\":\"!\"},\"finish_reason\":null}]}",
                "data:{\"id\":\"ID\",\"object\":\"chat.completion.chunk\",\"created\":T,\"model\":\"fast\",\"choices\":[{\"index\":0,"
                        + "\"delta\":{},\"finish_reason\":\"stop\"}]}",
                "data:{\"id\":\"ID\",\"object\":\"chat.completion.chunk\",\"created\":T,\"model\":\"fast\",\"choices\":[],"
                        + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}",
                "data:[DONE]");
    }

    @Test
    void aToolCallNamesItselfInItsFirstFragmentOnly() {
        String stream = EventWriters.write(out -> {
            encoder.chunk(new ChatChunk.ToolCallDelta(0, "call_1", "get_weather", ""), out);
            encoder.chunk(new ChatChunk.ToolCallDelta(0, null, null, "{\"city\":"), out);
        });

        assertThat(lines(stream)).containsExactly(
                "data:{\"id\":\"ID\",\"object\":\"chat.completion.chunk\",\"created\":T,\"model\":\"fast\",\"choices\":[{\"index\":0,"
                        + "\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}",
                "data:{\"id\":\"ID\",\"object\":\"chat.completion.chunk\",\"created\":T,\"model\":\"fast\",\"choices\":[{\"index\":0,"
                        + "\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\":\"}}]},\"finish_reason\":null}]}");
    }

    @Test
    void usageTheCallerDidNotAskForIsNotSentAndAFailureIsAnErrorPayloadWithoutDone() {
        ChatCompletionEncoder withoutUsage = new ChatCompletionEncoder("fast", false, JSON);
        String stream = EventWriters.write(out -> {
            withoutUsage.chunk(new ChatChunk.Usage(3, 2), out);
            withoutUsage.failed(new GatewayException(ErrorCode.STREAM_BROKEN, "The upstream stream broke"), out);
        });

        assertThat(lines(stream)).containsExactly("data:{\"error\":{\"message\":\"The upstream stream broke\","
                + "\"type\":\"api_error\",\"param\":null,\"code\":\"stream_broken\"}}");
    }

    @Test
    void whatTheUpstreamSaidBeyondTheNeutralModelGoesBackWhereItWasVerbatim() {
        String stream = EventWriters.write(out -> {
            // The role-only first chunk's fingerprint, then reasoning on its own, then text with its logprobs.
            encoder.chunk(new ChatChunk.Extra(0, FINGERPRINT, JsonFields.EMPTY,
                    JsonFields.of("reasoning_content", "\"Think\""), false), out);
            encoder.chunk(new ChatChunk.Extra(0, JsonFields.EMPTY, JsonFields.of("logprobs",
                    "{\"content\":[{\"token\":\"Hi\",\"logprob\":-0.1}]}"), JsonFields.EMPTY, true), out);
            encoder.chunk(new ChatChunk.TextDelta("Hi"), out);
            // A second choice, whole, as the upstream streamed it.
            encoder.chunk(new ChatChunk.Extra(1, JsonFields.EMPTY, JsonFields.of("finish_reason", "\"stop\""),
                    JsonFields.of("content", "\"Yo\""), false), out);
            encoder.chunk(new ChatChunk.Finish(FinishReason.STOP), out);
            encoder.chunk(new ChatChunk.Usage(3, 2, JsonFields.of("completion_tokens_details", "{\"reasoning_tokens\":1}")), out);
        });

        String head = "data:{\"id\":\"ID\",\"object\":\"chat.completion.chunk\",\"created\":T,\"model\":\"fast\","
                + "\"system_fingerprint\":\"fp_1\",";
        assertThat(lines(stream)).containsExactly(
                head + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"reasoning_content\":\"Think\"},"
                        + "\"finish_reason\":null}]}",
                head + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},"
                        + "\"logprobs\":{\"content\":[{\"token\":\"Hi\",\"logprob\":-0.1}]},\"finish_reason\":null}]}",
                head + "\"choices\":[{\"index\":1,\"delta\":{\"content\":\"Yo\"},\"finish_reason\":\"stop\"}]}",
                head + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}",
                head + "\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5,"
                        + "\"completion_tokens_details\":{\"reasoning_tokens\":1}}}");
    }

    @Test
    void aWholeReplyFoldsTheExtrasAsOpenAisSdksFoldAStream() {
        ChatReply reply = new ChatReply("Hi there", List.of(), FinishReason.STOP, null,
                new ChatChunk.Usage(3, 4, JsonFields.of("prompt_tokens_details", "{\"cached_tokens\":0}")), List.of(
                new ChatChunk.Extra(0, FINGERPRINT, JsonFields.EMPTY, JsonFields.of("reasoning_content", "\"Let me \""), false),
                new ChatChunk.Extra(0, JsonFields.EMPTY, JsonFields.EMPTY, JsonFields.of("reasoning_content", "\"think.\""), false),
                new ChatChunk.Extra(0, JsonFields.of("system_fingerprint", "\"fp_2\""),
                        JsonFields.of("logprobs", "{\"content\":[{\"token\":\"Hi\"}],\"refusal\":null}"), JsonFields.EMPTY, true),
                new ChatChunk.Extra(0, JsonFields.EMPTY, JsonFields.of("logprobs", "{\"content\":[{\"token\":\" there\"}]}"),
                        JsonFields.EMPTY, true),
                new ChatChunk.Extra(1, JsonFields.EMPTY, JsonFields.EMPTY, JsonFields.of("role", "\"assistant\""), false),
                new ChatChunk.Extra(1, JsonFields.EMPTY, JsonFields.EMPTY, JsonFields.of("tool_calls",
                        "[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\"}}]"), false),
                new ChatChunk.Extra(1, JsonFields.EMPTY, JsonFields.of("finish_reason", "\"tool_calls\""), JsonFields.of("tool_calls",
                        "[{\"index\":0,\"function\":{\"arguments\":\"\\\":1}\"}}]"), false)));

        JsonNode completion = JSON.readTree(JSON.writeValueAsString(encoder.completion(reply)));

        ((ObjectNode) completion).put("id", "ID").put("created", 0);
        assertThat(completion).isEqualTo(JSON.readTree("""
                {"id":"ID","object":"chat.completion","created":0,"model":"fast","choices":[
                  {"index":0,"message":{"role":"assistant","content":"Hi there","reasoning_content":"Let me think."},
                   "finish_reason":"stop","logprobs":{"content":[{"token":"Hi"},{"token":" there"}],"refusal":null}},
                  {"index":1,"message":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1",
                   "type":"function","function":{"name":"f","arguments":"{\\"a\\":1}"}}]},"finish_reason":"tool_calls"}],
                 "usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,"prompt_tokens_details":{"cached_tokens":0}},
                 "system_fingerprint":"fp_2"}"""));
    }

    /** The events of a stream, one a line, with the reply's id and time made constant. */
    private static List<String> lines(String stream) {
        assertThat(stream).as("each event ends with a blank line").endsWith("\n\n");
        return List.of(stream.replaceAll("\"id\":\"chatcmpl-[0-9a-f]+\"", "\"id\":\"ID\"")
                .replaceAll("\"created\":\\d+", "\"created\":T")
                .split("\n\n"));
    }
}
