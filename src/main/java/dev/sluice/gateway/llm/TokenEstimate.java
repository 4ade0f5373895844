package dev.sluice.gateway.llm;

import java.util.List;

import tools.jackson.databind.JsonNode;

/**
 * The one estimate of tokens before a tokenizer has run: characters over four, rounded up. {@link #input} counts
 * every field a provider reads, since each of them is billed: messages (the system prompt among them) with their
 * names and tool calls, tool definitions with their schemas, the response format's schema and the stop sequences.
 * An image counts as {@link #IMAGE_TOKENS} whatever its size: providers bill its pixels, which neither its base64
 * length nor a URL tell.
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
            chars += length(message.content()) + length(message.name()) + length(message.toolCallId());
            for (ContentPart part : message.parts()) {
                if (part instanceof ContentPart.Image) {
                    images++;
                }
            }
            for (ToolCall call : message.toolCalls()) {
                chars += length(call.id()) + length(call.name()) + length(call.arguments());
            }
        }
        for (ToolDefinition tool : request.tools()) {
            chars += length(tool.name()) + length(tool.description()) + length(tool.parameters());
        }
        if (request.responseFormat() != null) {
            chars += length(request.responseFormat().type()) + length(request.responseFormat().jsonSchema());
        }
        chars += length(request.stop());
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
