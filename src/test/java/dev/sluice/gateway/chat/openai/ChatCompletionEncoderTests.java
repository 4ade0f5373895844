package dev.sluice.gateway.chat.openai;

import java.util.List;

import dev.sluice.gateway.chat.EventWriters;
import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The bytes of a {@code /v1} stream, field by field as OpenAI's own chunks have them. */
class ChatCompletionEncoderTests {

    private final ChatCompletionEncoder encoder = new ChatCompletionEncoder("fast", true);

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
        ChatCompletionEncoder withoutUsage = new ChatCompletionEncoder("fast", false);
        String stream = EventWriters.write(out -> {
            withoutUsage.chunk(new ChatChunk.Usage(3, 2), out);
            withoutUsage.failed(new GatewayException(ErrorCode.STREAM_BROKEN, "The upstream stream broke"), out);
        });

        assertThat(lines(stream)).containsExactly("data:{\"error\":{\"message\":\"The upstream stream broke\","
                + "\"type\":\"api_error\",\"param\":null,\"code\":\"stream_broken\"}}");
    }

    /** The events of a stream, one a line, with the reply's id and time made constant. */
    private static List<String> lines(String stream) {
        assertThat(stream).as("each event ends with a blank line").endsWith("\n\n");
        return List.of(stream.replaceAll("\"id\":\"chatcmpl-[0-9a-f]+\"", "\"id\":\"ID\"")
                .replaceAll("\"created\":\\d+", "\"created\":T")
                .split("\n\n"));
    }
}
