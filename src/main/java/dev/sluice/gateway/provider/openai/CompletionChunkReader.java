package dev.sluice.gateway.provider.openai;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.JsonFields;
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
 * parser: it looks at the few fields Sluice uses and skips the ids it writes itself, without building them,
 * which costs about half of binding each payload to objects.
 * <p>
 * What else a payload says is kept as raw JSON, copied out of the payload's bytes as the parser passes it (no
 * second parse), for an edge that speaks this protocol ({@link ChatChunk.Extra}): a message's other fields
 * ({@code reasoning_content}, {@code refusal}), a choice's ({@code logprobs}), the reply's
 * ({@code system_fingerprint}, {@code service_tier}) and the usage's ({@code completion_tokens_details}). Fields set
 * to {@code null}, as OpenAI sends {@code refusal} and {@code logprobs} on every chunk, carry nothing. Reply fields
 * come again on every chunk: only a new or changed value is kept, told apart without copying a string value that
 * repeats. Choices other than the first (a request for {@code n} of them) are kept whole, each by its
 * {@code index}, which every server writes first. The stream's {@code obfuscation} padding is not kept: it pads
 * chunks Sluice writes anew.
 * <p>
 * A reply asked for whole, one {@code chat.completion} document, is read as one payload: it has the shape of a chunk
 * whose choices carry their {@code message} in place of a {@code delta}, and its tool calls whole.
 * <p>
 * Usage may come in the finish chunk, in a chunk of its own after it, or as a running total on every
 * chunk; the sink keeps the latest. vLLM's {@code stop_reason}, when a string, says which stop sequence matched.
 */
final class CompletionChunkReader implements EventReader {

    private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);

    private final JsonMapper json;
    private final ReplyFields replyFields = new ReplyFields();
    private boolean done;
    private boolean usageFromStandardField;
    // The payload being read, and what it says beyond the neutral chunks; null until it says something.
    private byte[] bytes;
    private int offset;
    private JsonFields.Builder reply;
    private JsonFields.Builder choice;
    private JsonFields.Builder message;
    private List<OtherChoice> otherChoices;

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
        this.bytes = bytes;
        this.offset = offset;
        try (JsonParser parser = json.createParser(bytes, offset, length)) {
            JsonToken first = parser.nextToken();
            if (first == JsonToken.START_OBJECT) {
                readChunk(parser, out);
                extras(out);
            }
            else if (first != JsonToken.VALUE_NULL) {
                throw new StreamBroken("upstream sent a chunk that is not a JSON object");
            }
        }
        catch (JacksonException e) {
            throw new StreamBroken("upstream sent a chunk that is not valid JSON");
        }
        finally {
            this.bytes = null;
            reply = null;
            choice = null;
            message = null;
            otherChoices = null;
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
                // Groq has reported usage here instead of in "usage"; the rest of it is Groq's, kept like others.
                case "x_groq" -> {
                    long start = parser.currentTokenLocation().getByteOffset();
                    readVendorExtras(parser, out);
                    keepReplyField(name, raw(start, parser), null);
                }
                case "error" -> throw UpstreamFailures.errorEvent(parser.readValueAsTree());
                // What Sluice writes itself, and padding that only means something in the original chunks.
                case "id", "object", "created", "model", "obfuscation" -> parser.skipChildren();
                default -> readReplyField(name, parser);
            }
        }
    }

    /** A reply field, kept unless it repeats the value it had: a repeated string is compared where it lies. */
    private void readReplyField(String name, JsonParser parser) {
        if (parser.currentToken() == JsonToken.VALUE_STRING) {
            if (replyFields.repeats(name, parser)) {
                return;
            }
            keepReplyField(name, raw(parser), parser.getString());
        }
        else {
            keepReplyField(name, raw(parser), null);
        }
    }

    private void keepReplyField(String name, String raw, String text) {
        if (replyFields.changes(name, raw, text)) {
            reply = add(reply, name, raw);
        }
    }

    /** Choice 0 as neutral chunks and the extras of them; any other choice whole, by its index. */
    private void readChoices(JsonParser parser, ChunkSink out) {
        if (parser.currentToken() != JsonToken.START_ARRAY) {
            parser.skipChildren();
            return;
        }
        int position = 0;
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY && token != null; token = parser.nextToken()) {
            if (token == JsonToken.START_OBJECT) {
                readChoice(parser, position, out);
            }
            else {
                parser.skipChildren();
            }
            position++;
        }
    }

    /**
     * {@code {"index":0, "delta":{...}, "logprobs":{...}, "finish_reason":"stop"}}; the finish goes after the delta
     * it ends. The index, written first, says which choice this is; without one, its place in the array does.
     */
    private void readChoice(JsonParser parser, int position, ChunkSink out) {
        String finishReason = null;
        String stopSequence = null;
        boolean first = true;
        while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (first) {
                first = false;
                boolean indexed = name.equals("index") && value == JsonToken.VALUE_NUMBER_INT;
                int index = indexed ? parser.getIntValue() : position;
                if (index != 0) {
                    readOtherChoice(index, indexed ? null : name, parser);
                    return;
                }
                if (indexed) {
                    continue;
                }
            }
            if (isMessage(name) && value == JsonToken.START_OBJECT) {
                readDelta(parser, out);
            }
            else if (name.equals("finish_reason") && value == JsonToken.VALUE_STRING) {
                finishReason = parser.getString();
            }
            else if (value != JsonToken.VALUE_NULL && !name.equals("index")) {
                if (name.equals("stop_reason") && value == JsonToken.VALUE_STRING) {
                    stopSequence = parser.getString();
                }
                choice = add(choice, name, raw(parser));
            }
            else {
                parser.skipChildren();
            }
        }
        if (finishReason != null && !finishReason.isEmpty()) {
            out.finish(FinishReason.fromWire(finishReason), stopSequence);
        }
    }

    /**
     * The rest of a choice other than the first, kept whole: its delta's fields, and its own. {@code current} names
     * the field the parser is at the value of, or is {@code null} when that was the index.
     */
    private void readOtherChoice(int index, String current, JsonParser parser) {
        JsonFields.Builder fields = null;
        JsonFields.Builder delta = null;
        String name = current;
        if (name == null && parser.nextToken() == JsonToken.PROPERTY_NAME) {
            name = parser.currentName();
            parser.nextToken();
        }
        while (name != null) {
            JsonToken value = parser.currentToken();
            if (isMessage(name) && value == JsonToken.START_OBJECT) {
                while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                    String field = parser.currentName();
                    parser.nextToken();
                    if (carries(parser)) {
                        delta = add(delta, field, raw(parser));
                    }
                    else {
                        parser.skipChildren();
                    }
                }
            }
            else if (value != JsonToken.VALUE_NULL && !name.equals("index")) {
                fields = add(fields, name, raw(parser));
            }
            else {
                parser.skipChildren();
            }
            name = null;
            if (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                name = parser.currentName();
                parser.nextToken();
            }
        }
        if (otherChoices == null) {
            otherChoices = new ArrayList<>(2);
        }
        otherChoices.add(new OtherChoice(index, build(fields), build(delta)));
    }

    /** A chunk's {@code delta}, or a whole reply's {@code message}. */
    private static boolean isMessage(String name) {
        return name.equals("delta") || name.equals("message");
    }

    /** Whether a delta's value adds anything: {@code null} and an empty string do not. */
    private static boolean carries(JsonParser parser) {
        JsonToken value = parser.currentToken();
        return value != JsonToken.VALUE_NULL && (value != JsonToken.VALUE_STRING || parser.getStringLength() > 0);
    }

    /** {@code {"role":"assistant", "content":"Hi", "tool_calls":[...], "reasoning_content":"..."}}. */
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
            else if (name.equals("role") || name.equals("content") || !carries(parser)) {
                // The role is the assistant's, always; a content that is not a string means none.
                parser.skipChildren();
            }
            else {
                message = add(message, name, raw(parser));
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
                    out.usage(new ChatChunk.Usage(vendorUsage.promptTokens(), vendorUsage.completionTokens()));
                }
            }
            else {
                parser.skipChildren();
            }
        }
    }

    /** {@code {"prompt_tokens":12, "completion_tokens":5, "total_tokens":17, "prompt_tokens_details":{...}}} */
    private ChatChunk.Usage readUsage(JsonParser parser) {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            parser.skipChildren();
            return null;
        }
        int prompt = 0;
        int completion = 0;
        JsonFields.Builder details = null;
        while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (name.equals("prompt_tokens") && value == JsonToken.VALUE_NUMBER_INT) {
                prompt = parser.getIntValue();
            }
            else if (name.equals("completion_tokens") && value == JsonToken.VALUE_NUMBER_INT) {
                completion = parser.getIntValue();
            }
            else if (value == JsonToken.VALUE_NULL || name.equals("total_tokens")) {
                // The total is written anew from the two counts.
                parser.skipChildren();
            }
            else {
                details = add(details, name, raw(parser));
            }
        }
        return new ChatChunk.Usage(prompt, completion, build(details));
    }

    /** Hands what the payload said beyond the neutral chunks to the sink, when it said anything. */
    private void extras(ChunkSink out) {
        if (reply != null || choice != null || message != null || out.holdsReplyFields()) {
            out.extra(build(reply), build(choice), build(message));
        }
        if (otherChoices != null) {
            for (OtherChoice other : otherChoices) {
                out.otherChoice(other.index, other.fields, other.delta);
            }
        }
    }

    /** The current value as its JSON text in the payload, read past. */
    private String raw(JsonParser parser) {
        return raw(parser.currentTokenLocation().getByteOffset(), parser);
    }

    /** The JSON text from {@code start} to the end of the current value, read past. */
    private String raw(long start, JsonParser parser) {
        parser.skipChildren();
        parser.finishToken();
        long end = parser.currentLocation().getByteOffset();
        return new String(bytes, offset + (int) start, (int) (end - start), StandardCharsets.UTF_8);
    }

    private static JsonFields.Builder add(JsonFields.Builder fields, String name, String json) {
        return (fields == null ? new JsonFields.Builder() : fields).add(name, json);
    }

    private static JsonFields build(JsonFields.Builder fields) {
        return fields == null ? JsonFields.EMPTY : fields.build();
    }

    private record OtherChoice(int index, JsonFields fields, JsonFields delta) {
    }

    /**
     * The reply fields a stream has said so far, the last value of each: vendors repeat them on every chunk, and
     * only a new or changed one is worth a copy. Few (two or three), so kept in arrays.
     */
    private static final class ReplyFields {

        private String[] names = new String[4];
        /** Each value's JSON text. */
        private String[] values = new String[4];
        /** Each string value's text, {@code null} for the others. */
        private String[] texts = new String[4];
        private int size;

        /** Whether the string the parser is at is the value {@code name} had. */
        boolean repeats(String name, JsonParser parser) {
            int i = indexOf(name);
            String known = i < 0 ? null : texts[i];
            if (known == null) {
                return false;
            }
            int length = parser.getStringLength();
            if (length != known.length()) {
                return false;
            }
            char[] chars = parser.getStringCharacters();
            int start = parser.getStringOffset();
            for (int c = 0; c < length; c++) {
                if (chars[start + c] != known.charAt(c)) {
                    return false;
                }
            }
            return true;
        }

        /** Records {@code name}'s value; whether it is new or changed. */
        boolean changes(String name, String json, String text) {
            int i = indexOf(name);
            if (i >= 0) {
                if (values[i].equals(json)) {
                    return false;
                }
                values[i] = json;
                texts[i] = text;
                return true;
            }
            if (size == names.length) {
                names = Arrays.copyOf(names, size * 2);
                values = Arrays.copyOf(values, size * 2);
                texts = Arrays.copyOf(texts, size * 2);
            }
            names[size] = name;
            values[size] = json;
            texts[size] = text;
            size++;
            return true;
        }

        private int indexOf(String name) {
            for (int i = 0; i < size; i++) {
                if (names[i].equals(name)) {
                    return i;
                }
            }
            return -1;
        }
    }
}
