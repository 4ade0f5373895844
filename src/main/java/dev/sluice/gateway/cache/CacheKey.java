package dev.sluice.gateway.cache;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.ContentPart;
import dev.sluice.gateway.llm.JsonFields;
import dev.sluice.gateway.llm.ReplyOptions;
import dev.sluice.gateway.llm.ResponseFormat;
import dev.sluice.gateway.llm.Sampling;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.llm.ToolDefinition;
import dev.sluice.gateway.llm.ToolUse;

/**
 * The cache key of a request: SHA-256 over a canonical form of everything that shapes the reply (the model or alias,
 * every message with its parts, images included, and its other fields, every sampling parameter, the reply's options,
 * tools, tool choice, and every parameter passed through as it came: {@code logprobs} or {@code n} change the reply),
 * prefixed by the scope it is kept in ({@code shared}, or the caller's id). Each field goes in with a tag and a length, so that no two different
 * requests can be written the same way. The OpenAI {@code user} field names the end user for the provider's abuse
 * tracking and does not change the reply, so it is left out.
 */
final class CacheKey {

    private static final HexFormat HEX = HexFormat.of();
    private static final byte NULL = 0;
    private static final byte PRESENT = 1;

    private CacheKey() {
    }

    /** {@code <prefix><scope>:<64 hex digits>} */
    static String of(String prefix, String scope, ChatRequest request) {
        return prefix + scope + ":" + HEX.formatHex(digest(request));
    }

    static byte[] digest(ChatRequest request) {
        Digest d = new Digest();
        d.tag('v').integer(3);
        d.tag('m').text(request.model());
        d.tag('M').integer(request.messages().size());
        for (ChatMessage message : request.messages()) {
            d.text(message.role().wireName()).text(message.content()).text(message.toolCallId()).text(message.name());
            d.integer(message.toolCalls().size());
            for (ToolCall call : message.toolCalls()) {
                d.text(call.id()).text(call.name()).text(call.arguments());
            }
            d.integer(message.parts().size());
            for (ContentPart part : message.parts()) {
                if (part instanceof ContentPart.Image image) {
                    d.tag('i').text(image.mediaType()).text(image.data()).text(image.url()).text(image.detail());
                }
                else if (part instanceof ContentPart.Text text) {
                    d.tag('x').text(text.text());
                }
                else if (part instanceof ContentPart.Raw raw) {
                    d.tag('r').text(raw.json());
                }
            }
            d.fields(message.extra());
        }
        Sampling sampling = request.sampling();
        d.tag('t').number(sampling.temperature());
        d.tag('p').number(sampling.topP());
        d.tag('s').texts(sampling.stop());
        d.tag('e').number(sampling.seed() == null ? null : sampling.seed().doubleValue());
        d.tag('r').number(sampling.presencePenalty());
        d.tag('f').number(sampling.frequencyPenalty());
        ReplyOptions reply = request.reply();
        d.tag('x').number(reply.maxTokens() == null ? null : reply.maxTokens().doubleValue());
        d.tag('X').text(reply.capName() == null ? null : reply.capName().name());
        d.tag('n').number(reply.choices() == null ? null : reply.choices().doubleValue());
        d.tag('R').text(reply.reasoningEffort());
        ToolUse toolUse = request.toolUse();
        List<ToolDefinition> tools = toolUse.definitions();
        d.tag('T').integer(tools.size());
        for (ToolDefinition tool : tools) {
            d.text(tool.name()).text(tool.description())
                    .text(tool.parameters() == null ? null : tool.parameters().toString())
                    .text(tool.strict() == null ? null : tool.strict().toString());
        }
        d.tag('c');
        if (toolUse.choice() == null) {
            d.text(null);
        }
        else {
            d.text(toolUse.choice().mode().name()).text(toolUse.choice().function());
        }
        d.tag('P').text(toolUse.parallelCalls() == null ? null : toolUse.parallelCalls().toString());
        d.tag('F');
        ResponseFormat format = reply.format();
        if (format == null) {
            d.text(null);
        }
        else {
            d.text(format.type()).text(format.jsonSchema() == null ? null : format.jsonSchema().toString());
        }
        d.tag('O').fields(request.passThrough());
        return d.sha.digest();
    }

    private static final class Digest {

        private final MessageDigest sha;
        private final byte[] scratch = new byte[8];

        Digest() {
            try {
                sha = MessageDigest.getInstance("SHA-256");
            }
            catch (NoSuchAlgorithmException impossible) {
                throw new IllegalStateException("every Java platform has SHA-256", impossible);
            }
        }

        Digest tag(char tag) {
            sha.update((byte) tag);
            return this;
        }

        Digest integer(int value) {
            for (int i = 0; i < 4; i++) {
                scratch[i] = (byte) (value >>> (24 - 8 * i));
            }
            sha.update(scratch, 0, 4);
            return this;
        }

        Digest number(Double value) {
            if (value == null) {
                sha.update(NULL);
                return this;
            }
            sha.update(PRESENT);
            // 0.0 and -0.0 are the same temperature.
            long bits = Double.doubleToLongBits(value == 0.0 ? 0.0 : value);
            for (int i = 0; i < 8; i++) {
                scratch[i] = (byte) (bits >>> (56 - 8 * i));
            }
            sha.update(scratch, 0, 8);
            return this;
        }

        Digest text(String value) {
            if (value == null) {
                sha.update(NULL);
                return this;
            }
            sha.update(PRESENT);
            byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            integer(bytes.length);
            sha.update(bytes);
            return this;
        }

        Digest fields(JsonFields fields) {
            integer(fields.fields().size());
            for (JsonFields.Field field : fields.fields()) {
                text(field.name()).text(field.json());
            }
            return this;
        }

        Digest texts(List<String> values) {
            integer(values.size());
            values.forEach(this::text);
            return this;
        }
    }
}
