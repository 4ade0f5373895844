package dev.sluice.gateway.llm;

import java.util.List;

import tools.jackson.databind.JsonNode;

/**
 * The one estimate of tokens before a tokenizer has run: characters over four, rounded up. {@link #input} counts
 * every field a provider reads, since each of them is billed: messages (the system prompt among them) with their
 * names, tool calls and other fields, tool definitions with their schemas, the response format's schema, the stop
 * sequences and the parameters passed through as they came (a {@code prediction} is billed; the others count too,
 * as nothing here knows which are not). An image counts as {@link #IMAGE_TOKENS} whatever its size: providers bill its
 * pixels, which neither its base64 length nor a URL tell; so does any other part that is not text (audio, a file),
 * whose seconds or pages its size does not tell either.
 */
public final class TokenEstimate {

    private static final int CHARS_PER_TOKEN = 4;
    /** What Anthropic bills for the largest image it reads unscaled (about 1.15 megapixels at 750 pixels a token). */
    static final int IMAGE_TOKENS = 1_600;

    private TokenEstimate() {
    }

    /** Tokens in {@code chars} characters of text. */
    public static long ofChars(long chars) {
        return (chars + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN;
    }

    /** Tokens the provider reads for this request. */
    public static long input(ChatRequest request) {
        long chars = 0;
        long images = 0;
        for (ChatMessage message : request.messages()) {
            chars += length(message.content()) + length(message.name()) + length(message.toolCallId())
                    + message.extra().length();
            for (ContentPart part : message.parts()) {
                if (part.text() == null) {
                    images++;
                }
            }
            for (ToolCall call : message.toolCalls()) {
                chars += length(call.id()) + length(call.name()) + length(call.arguments());
            }
        }
        for (ToolDefinition tool : request.toolUse().definitions()) {
            chars += length(tool.name()) + length(tool.description()) + length(tool.parameters());
        }
        ResponseFormat format = request.reply().format();
        if (format != null) {
            chars += length(format.type()) + length(format.jsonSchema());
        }
        chars += length(request.sampling().stop()) + request.passThrough().length();
        return ofChars(chars) + images * IMAGE_TOKENS;
    }

    private static long length(String text) {
        return text == null ? 0 : text.length();
    }

    /** A schema as the provider gets it: compact JSON. */
    private static long length(JsonNode json) {
        return json == null || json.isMissingNode() || json.isNull() ? 0 : json.toString().length();
    }

    private static long length(List<String> texts) {
        long chars = 0;
        for (String text : texts) {
            chars += length(text);
        }
        return chars;
    }
}
