package dev.sluice.gateway.chat.openai;

import java.nio.charset.StandardCharsets;
import java.util.List;

import dev.sluice.gateway.chat.EventEncoder;
import dev.sluice.gateway.chat.EventWriter;
import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatReply;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.web.ApiErrorHandler;
import dev.sluice.gateway.web.Ids;
import tools.jackson.core.JsonGenerator;

/**
 * Writes one reply in OpenAI's format: {@code chat.completion.chunk} events for a stream, then {@code [DONE]}, or
 * one {@code chat.completion}. One encoder per reply: it holds the reply's id and whether the assistant role was
 * announced. Usage, which the neutral stream sends last, becomes OpenAI's final usage chunk. A failure after the
 * first chunk is an {@code error} payload with no {@code [DONE]}, so that SDKs do not take it for a complete reply.
 * <p>
 * A chunk is written field by field with Jackson's streaming API, in the order and with the nulls OpenAI's
 * chunks have: {@code finish_reason} is written even when null, as OpenAI marks a chunk mid-stream.
 */
final class ChatCompletionEncoder implements EventEncoder {

    private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);

    private final String id;
    private final long created;
    private final String model;
    private final boolean includeUsage;
    private boolean roleSent;

    ChatCompletionEncoder(String model, boolean includeUsage) {
        this.id = "chatcmpl-" + Ids.hex();
        this.created = System.currentTimeMillis() / 1000;
        this.model = model;
        this.includeUsage = includeUsage;
    }

    /** One chunk's payload; none for usage the caller did not ask for. */
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
            json.writeEndObject();
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

    /** A whole reply as one {@code chat.completion}. */
    ChatCompletionWire.Completion completion(ChatReply reply) {
        List<ChatCompletionWire.ToolCall> calls = reply.toolCalls().stream().map(ChatCompletionEncoder::toolCall).toList();
        String content = reply.text().isEmpty() && !calls.isEmpty() ? null : reply.text();
        ChatCompletionWire.Choice choice = new ChatCompletionWire.Choice(0,
                new ChatCompletionWire.Message("assistant", content, calls), reply.finishReason().wireName());
        return new ChatCompletionWire.Completion(id, "chat.completion", created, model,
                List.of(choice), reply.usage() == null ? null : wire(reply.usage()));
    }

    private String role() {
        if (roleSent) {
            return null;
        }
        roleSent = true;
        return "assistant";
    }

    private void head(JsonGenerator json) {
        json.writeStartObject();
        json.writeStringProperty("id", id);
        json.writeStringProperty("object", "chat.completion.chunk");
        json.writeNumberProperty("created", created);
        json.writeStringProperty("model", model);
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
        json.writeEndObject();
    }

    private static ChatCompletionWire.Usage wire(ChatChunk.Usage usage) {
        return new ChatCompletionWire.Usage(usage.promptTokens(), usage.completionTokens(), usage.totalTokens());
    }

    private static ChatCompletionWire.ToolCall toolCall(ToolCall call) {
        return new ChatCompletionWire.ToolCall(call.id(), "function", new ChatCompletionWire.Function(call.name(), call.arguments()));
    }
}
