package dev.sluice.gateway.chat.openai;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.sluice.gateway.chat.EventEncoder;
import dev.sluice.gateway.chat.EventWriter;
import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatReply;
import dev.sluice.gateway.llm.JsonFields;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.web.ApiErrorHandler;
import dev.sluice.gateway.web.Ids;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.util.RawValue;

/**
 * Writes one reply in OpenAI's format: {@code chat.completion.chunk} events for a stream, then {@code [DONE]}, or
 * one {@code chat.completion}. One encoder per reply: it holds the reply's id, whether the assistant role was
 * announced, and the reply fields the upstream has said. Usage, which the neutral stream sends last, becomes OpenAI's
 * final usage chunk. A failure after the first chunk is an {@code error} payload with no {@code [DONE]}, so that SDKs
 * do not take it for a complete reply.
 * <p>
 * A chunk is written field by field with Jackson's streaming API, in the order and with the nulls OpenAI's
 * chunks have: {@code finish_reason} is written even when null, as OpenAI marks a chunk mid-stream.
 * <p>
 * What the upstream said beyond the neutral model ({@link ChatChunk.Extra}) goes back where it was, verbatim: reply
 * fields ({@code system_fingerprint}) on every chunk from the one that brought them, message fields
 * ({@code reasoning_content}) in the delta and choice fields ({@code logprobs}) in the choice of the chunk read from
 * the same upstream event, other choices in chunks of their own. A whole reply folds them as SDKs fold a stream
 * (see {@link StreamFold}).
 */
final class ChatCompletionEncoder implements EventEncoder {

    private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);

    private final String id;
    private final long created;
    private final String model;
    private final boolean includeUsage;
    private final JsonMapper json;
    private boolean roleSent;
    private JsonFields replyFields = JsonFields.EMPTY;
    /** Choice 0's extras, to go with the chunk that follows them. */
    private ChatChunk.Extra pending;

    ChatCompletionEncoder(String model, boolean includeUsage, JsonMapper json) {
        this.id = "chatcmpl-" + Ids.hex();
        this.created = System.currentTimeMillis() / 1000;
        this.model = model;
        this.includeUsage = includeUsage;
        this.json = json;
    }

    /** One chunk's payload; none for usage the caller did not ask for, nor for extras that go with the next. */
    @Override
    public void chunk(ChatChunk chunk, EventWriter out) {
        if (chunk instanceof ChatChunk.Usage usage) {
            if (includeUsage) {
                out.event(null, json -> {
                    head(json);
                    json.writeArrayPropertyStart("choices");
                    json.writeEndArray();
                    json.writeName("usage");
                    usage(json, usage);
                    json.writeEndObject();
                });
            }
            return;
        }
        if (chunk instanceof ChatChunk.Extra extra) {
            replyFields = replyFields.with(extra.reply());
            if (extra.choice() != 0) {
                otherChoice(extra, out);
                return;
            }
            if (extra.withNext()) {
                pending = extra;
                return;
            }
            if (!extra.hasContent()) {
                return;
            }
        }
        ChatChunk.Extra extras = chunk instanceof ChatChunk.Extra extra ? extra : pending;
        pending = null;
        String role = role();
        out.event(null, json -> {
            head(json);
            json.writeArrayPropertyStart("choices");
            json.writeStartObject();
            json.writeNumberProperty("index", 0);
            json.writeObjectPropertyStart("delta");
            if (role != null) {
                json.writeStringProperty("role", role);
            }
            String finishReason = null;
            if (chunk instanceof ChatChunk.TextDelta text) {
                json.writeStringProperty("content", text.text());
            }
            else if (chunk instanceof ChatChunk.ToolCallDelta call) {
                json.writeArrayPropertyStart("tool_calls");
                toolCall(json, call);
                json.writeEndArray();
            }
            else if (chunk instanceof ChatChunk.Finish finish) {
                finishReason = finish.reason().wireName();
            }
            if (extras != null) {
                raw(json, extras.message());
            }
            json.writeEndObject();
            if (extras != null) {
                raw(json, extras.choiceFields());
            }
            json.writeStringProperty("finish_reason", finishReason);
            json.writeEndObject();
            json.writeEndArray();
            json.writeEndObject();
        });
    }

    @Override
    public void complete(EventWriter out) {
        out.rawEvent(null, DONE);
    }

    @Override
    public void failed(Throwable failure, EventWriter out) {
        out.valueEvent(null, ApiErrorHandler.openAiBody(ApiErrorHandler.classify(failure)));
    }

    /** A whole reply as one {@code chat.completion}, its extras folded into it. */
    ChatCompletionWire.Completion completion(ChatReply reply) {
        List<ChatCompletionWire.ToolCall> calls = reply.toolCalls().stream().map(ChatCompletionEncoder::toolCall).toList();
        String content = reply.text().isEmpty() && !calls.isEmpty() ? null : reply.text();
        Folded folded = reply.extras().isEmpty() ? null : fold(reply.extras());
        ChatCompletionWire.Choice choice = new ChatCompletionWire.Choice(0,
                new ChatCompletionWire.Message("assistant", content, calls, folded == null ? Map.of() : fields(folded.message)),
                reply.finishReason().wireName(), folded == null ? Map.of() : fields(folded.choice));
        List<Object> choices = new ArrayList<>(1);
        choices.add(choice);
        if (folded != null) {
            choices.addAll(folded.otherChoices.values());
        }
        return new ChatCompletionWire.Completion(id, "chat.completion", created, model, choices,
                reply.usage() == null ? null : wire(reply.usage()), folded == null ? Map.of() : fields(folded.reply));
    }

    /** The extras of a reply, folded: the reply's fields, choice 0's and its message's, and the other choices whole. */
    private Folded fold(List<ChatChunk.Extra> extras) {
        StreamFold fold = new StreamFold(json);
        Folded folded = new Folded(fold.object(), fold.object(), fold.object(), new TreeMap<>());
        Map<Integer, ObjectNode> otherMessages = new TreeMap<>();
        for (ChatChunk.Extra extra : extras) {
            fold.set(folded.reply, extra.reply());
            if (extra.choice() == 0) {
                fold.add(folded.choice, extra.choiceFields());
                fold.add(folded.message, extra.message());
                continue;
            }
            ObjectNode other = folded.otherChoices.computeIfAbsent(extra.choice(), index -> {
                ObjectNode choice = fold.object().put("index", index);
                ObjectNode message = choice.putObject("message").put("role", "assistant").putNull("content");
                otherMessages.put(index, message);
                return choice;
            });
            fold.add(otherMessages.get(extra.choice()), extra.message());
            fold.add(other, extra.choiceFields());
        }
        return folded;
    }

    private record Folded(ObjectNode reply, ObjectNode choice, ObjectNode message, Map<Integer, ObjectNode> otherChoices) {
    }

    private static Map<String, Object> fields(ObjectNode object) {
        if (object.isEmpty()) {
            return Map.of();
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : object.properties()) {
            fields.put(field.getKey(), field.getValue());
        }
        return fields;
    }

    private String role() {
        if (roleSent) {
            return null;
        }
        roleSent = true;
        return "assistant";
    }

    /** The chunk's start: its id, type, time and model, then the reply fields the upstream has said so far. */
    private void head(JsonGenerator json) {
        json.writeStartObject();
        json.writeStringProperty("id", id);
        json.writeStringProperty("object", "chat.completion.chunk");
        json.writeNumberProperty("created", created);
        json.writeStringProperty("model", model);
        raw(json, replyFields);
    }

    /** A chunk of a choice other than the first, as the upstream's was: only the index is Sluice's. */
    private void otherChoice(ChatChunk.Extra extra, EventWriter out) {
        out.event(null, json -> {
            head(json);
            json.writeArrayPropertyStart("choices");
            json.writeStartObject();
            json.writeNumberProperty("index", extra.choice());
            json.writeObjectPropertyStart("delta");
            raw(json, extra.message());
            json.writeEndObject();
            raw(json, extra.choiceFields());
            if (extra.choiceFields().get("finish_reason") == null) {
                json.writeNullProperty("finish_reason");
            }
            json.writeEndObject();
            json.writeEndArray();
            json.writeEndObject();
        });
    }

    /** The fields, verbatim; on every chunk, and nearly always none, so without an iterator. */
    private static void raw(JsonGenerator json, JsonFields fields) {
        List<JsonFields.Field> list = fields.fields();
        for (int i = 0; i < list.size(); i++) {
            json.writeName(list.get(i).name());
            json.writeRawValue(list.get(i).json());
        }
    }

    /** A fragment of a tool call: the first one of a call names it, with its id; the others carry arguments. */
    private static void toolCall(JsonGenerator json, ChatChunk.ToolCallDelta call) {
        json.writeStartObject();
        json.writeNumberProperty("index", call.index());
        if (call.id() != null) {
            json.writeStringProperty("id", call.id());
            json.writeStringProperty("type", "function");
        }
        json.writeObjectPropertyStart("function");
        if (call.name() != null) {
            json.writeStringProperty("name", call.name());
        }
        if (call.argumentsDelta() != null) {
            json.writeStringProperty("arguments", call.argumentsDelta());
        }
        json.writeEndObject();
        json.writeEndObject();
    }

    private static void usage(JsonGenerator json, ChatChunk.Usage usage) {
        json.writeStartObject();
        json.writeNumberProperty("prompt_tokens", usage.promptTokens());
        json.writeNumberProperty("completion_tokens", usage.completionTokens());
        json.writeNumberProperty("total_tokens", usage.totalTokens());
        raw(json, usage.details());
        json.writeEndObject();
    }

    private static ChatCompletionWire.Usage wire(ChatChunk.Usage usage) {
        Map<String, Object> details = Map.of();
        if (!usage.details().isEmpty()) {
            details = new LinkedHashMap<>();
            for (JsonFields.Field field : usage.details().fields()) {
                details.put(field.name(), new RawValue(field.json()));
            }
        }
        return new ChatCompletionWire.Usage(usage.promptTokens(), usage.completionTokens(), usage.totalTokens(), details);
    }

    private static ChatCompletionWire.ToolCall toolCall(ToolCall call) {
        return new ChatCompletionWire.ToolCall(call.id(), "function", new ChatCompletionWire.Function(call.name(), call.arguments()));
    }
}
