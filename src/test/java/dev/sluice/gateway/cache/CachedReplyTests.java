package dev.sluice.gateway.cache;

import java.util.Arrays;
import java.util.List;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.JsonFields;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CachedReplyTests {

    private static final CachedReply REPLY = new CachedReply(List.of(
            new ChatChunk.TextDelta("Grüße "), new ChatChunk.TextDelta("🌍"),
            new ChatChunk.ToolCallDelta(0, "call_1", "weather", "{\"ci"), new ChatChunk.ToolCallDelta(0, null, null, "ty\":1}"),
            new ChatChunk.Finish(FinishReason.TOOL_CALLS), new ChatChunk.Usage(12, 7)), "groq/llama", 1_700_000_000_000L);

    @Test
    void aReplyComesBackChunkForChunk() {
        CachedReply decoded = CachedReply.decode(REPLY.encode());

        assertThat(decoded).isEqualTo(REPLY);
        assertThat(CachedReply.decode(new CachedReply(List.of(new ChatChunk.Finish(FinishReason.STOP)), null, 0).encode()).provider())
                .isNull();
    }

    @Test
    void whatTheUpstreamSaidBeyondTheNeutralModelComesBackToo() {
        CachedReply reasoned = new CachedReply(List.of(
                new ChatChunk.Extra(0, JsonFields.of("system_fingerprint", "\"fp_1\""), JsonFields.EMPTY,
                        JsonFields.of("reasoning_content", "\"Hmm\""), false),
                new ChatChunk.Extra(1, JsonFields.EMPTY, JsonFields.of("finish_reason", "\"stop\""),
                        JsonFields.of("content", "\"No\""), true),
                new ChatChunk.TextDelta("Yes"), new ChatChunk.Finish(FinishReason.STOP, "END"),
                new ChatChunk.Usage(3, 4, JsonFields.of("completion_tokens_details", "{\"reasoning_tokens\":2}"))),
                "openai/o4-mini", 1L);

        assertThat(CachedReply.decode(reasoned.encode())).as("extras, the stop sequence, the usage's details")
                .isEqualTo(reasoned);
    }

    @Test
    void theEncodingIsCompact() {
        // 41 bytes of text and arguments, 6 chunks: about 10 bytes of framing per chunk, no field names, no JSON.
        assertThat(REPLY.encode().length).isLessThan(41 + 6 * 10 + 25);
    }

    @Test
    void bytesItDidNotWriteAreRefusedNotMisread() {
        byte[] bytes = REPLY.encode();

        assertThatThrownBy(() -> CachedReply.decode(Arrays.copyOf(bytes, bytes.length - 3))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CachedReply.decode(Arrays.copyOf(bytes, bytes.length + 1))).isInstanceOf(IllegalArgumentException.class);
        byte[] otherVersion = bytes.clone();
        otherVersion[0] = 9;
        assertThatThrownBy(() -> CachedReply.decode(otherVersion)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CachedReply.decode("{\"json\":true}".getBytes())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CachedReply.decode(new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }
}
