package dev.sluice.gateway.provider.openai;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.provider.UpstreamException.StreamBroken;
import dev.sluice.gateway.provider.http.ChunkSink;
import dev.sluice.gateway.provider.http.EventReader;
import dev.sluice.gateway.provider.http.UpstreamFailures;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads the {@code chat.completion.chunk} payloads of one Chat Completions stream with a streaming
 * parser: it looks at the few fields Sluice uses and skips the rest (ids, fingerprints, logprobs, vendor
 * extras) without building them, which costs about half of binding each payload to objects.
 * <p>
 * Usage may come in the finish chunk, in a chunk of its own after it, or as a running total on every
 * chunk; the sink keeps the latest.
 */
final class CompletionChunkReader implements EventReader {

    private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);

    private final JsonMapper json;
    private boolean done;
    private boolean usageFromStandardField;

    CompletionChunkReader(JsonMapper json) {
        this.json = json;
    }

    /** {@code [DONE]} was read: whatever follows it is ignored. */
    @Override
    public boolean complete() {
        return done;
    }

    /**
     * Reads one payload into {@code out}.
     *
     * @throws StreamBroken on an error payload or one that is not a JSON object
     */
    @Override
    public void read(byte[] bytes, int offset, int length, ChunkSink out) {
        if (Arrays.equals(bytes, offset, offset + length, DONE, 0, DONE.length)) {
            done = true;
            return;
        }
        try (JsonParser parser = json.createParser(bytes, offset, length)) {
            JsonToken first = parser.nextToken();
            if (first == JsonToken.START_OBJECT) {
                readChunk(parser, out);
            }
            else if (first != JsonToken.VALUE_NULL) {
                throw new StreamBroken("upstream sent a chunk that is not a JSON object");
            }
        }
        catch (JacksonException e) {
            throw new StreamBroken("upstream sent a chunk that is not valid JSON");
        }
    }

    /** {@code {"choices":[...], "usage":{...}, "error":{...}, "x_groq":{"usage":{...}}, ...}} */
    private void readChunk(JsonParser parser, ChunkSink out) {
        while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (value == JsonToken.VALUE_NULL) {
                continue;
            }
            switch (name) {
                case "choices" -> readChoices(parser, out);
                case "usage" -> {
                    ChatChunk.Usage read = readUsage(parser);
                    if (read != null) {
                        out.usage(read);
                        usageFromStandardField = true;
                    }
                }
                // Groq has reported usage here instead of in "usage".
                case "x_groq" -> readVendorExtras(parser, out);
                case "error" -> throw UpstreamFailures.errorEvent(parser.readValueAsTree());
                default -> parser.skipChildren();
            }
        }
    }

    /** Only the first choice: Sluice never asks for more than one. */
    private void readChoices(JsonParser parser, ChunkSink out) {
        if (parser.currentToken() != JsonToken.START_ARRAY) {
            parser.skipChildren();
            return;
        }
        boolean first = true;
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY && token != null; token = parser.nextToken()) {
            if (first && token == JsonToken.START_OBJECT) {
                readChoice(parser, out);
            }
            else {
                parser.skipChildren();
            }
            first = false;
        }
    }

    /** {@code {"index":0, "delta":{...}, "finish_reason":"stop"}}; the finish goes after the delta it ends. */
    private void readChoice(JsonParser parser, ChunkSink out) {
        String finishReason = null;
        while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (name.equals("delta") && value == JsonToken.START_OBJECT) {
                readDelta(parser, out);
            }
            else if (name.equals("finish_reason") && value == JsonToken.VALUE_STRING) {
                finishReason = parser.getString();
            }
            else {
                parser.skipChildren();
            }
        }
        if (finishReason != null && !finishReason.isEmpty()) {
            out.finish(FinishReason.fromWire(finishReason));
        }
    }

    /** {@code {"role":"assistant", "content":"Hi", "tool_calls":[...]}}; role-only deltas carry nothing. */
    private void readDelta(JsonParser parser, ChunkSink out) {
        while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (name.equals("content") && value == JsonToken.VALUE_STRING) {
                out.text(parser.getString());
            }
            else if (name.equals("tool_calls") && value == JsonToken.START_ARRAY) {
                int position = 0;
                for (JsonToken call = parser.nextToken(); call != JsonToken.END_ARRAY && call != null; call = parser.nextToken()) {
                    if (call == JsonToken.START_OBJECT) {
                        readToolCall(parser, position, out);
                    }
                    else {
                        parser.skipChildren();
                    }
                    position++;
                }
            }
            else {
                parser.skipChildren();
            }
        }
    }

    /**
     * {@code {"index":0, "id":"call_1", "type":"function", "function":{"name":"f", "arguments":"{\"a"}}}.
     * A few vendors that never stream parallel calls leave out {@code index}; the position stands in.
     */
    private static void readToolCall(JsonParser parser, int position, ChunkSink out) {
        int index = position;
        String id = null;
        String name = null;
        String arguments = null;
        while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
            String property = parser.currentName();
            JsonToken value = parser.nextToken();
            if (property.equals("index") && value == JsonToken.VALUE_NUMBER_INT) {
                index = parser.getIntValue();
            }
            else if (property.equals("id") && value == JsonToken.VALUE_STRING) {
                id = parser.getString();
            }
            else if (property.equals("function") && value == JsonToken.START_OBJECT) {
                while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                    String field = parser.currentName();
                    JsonToken fieldValue = parser.nextToken();
                    if (field.equals("name") && fieldValue == JsonToken.VALUE_STRING) {
                        name = parser.getString();
                    }
                    else if (field.equals("arguments") && fieldValue == JsonToken.VALUE_STRING) {
                        arguments = parser.getString();
                    }
                    else {
                        parser.skipChildren();
                    }
                }
            }
            else {
                parser.skipChildren();
            }
        }
        if (id != null || name != null || (arguments != null && !arguments.isEmpty())) {
            out.toolCall(index, id, name, arguments);
        }
    }

    private void readVendorExtras(JsonParser parser, ChunkSink out) {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            parser.skipChildren();
            return;
        }
        while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (name.equals("usage") && value == JsonToken.START_OBJECT) {
                ChatChunk.Usage vendorUsage = readUsage(parser);
                if (vendorUsage != null && !usageFromStandardField) {
                    out.usage(vendorUsage);
                }
            }
            else {
                parser.skipChildren();
            }
        }
    }

    /** {@code {"prompt_tokens":12, "completion_tokens":5, ...}} */
    private static ChatChunk.Usage readUsage(JsonParser parser) {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            parser.skipChildren();
            return null;
        }
        int prompt = 0;
        int completion = 0;
        while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (name.equals("prompt_tokens") && value == JsonToken.VALUE_NUMBER_INT) {
                prompt = parser.getIntValue();
            }
            else if (name.equals("completion_tokens") && value == JsonToken.VALUE_NUMBER_INT) {
                completion = parser.getIntValue();
            }
            else {
                parser.skipChildren();
            }
        }
        return new ChatChunk.Usage(prompt, completion);
    }
}
