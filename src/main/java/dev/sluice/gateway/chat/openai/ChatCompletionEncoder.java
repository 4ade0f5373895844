package dev.sluice.gateway.chat.openai;

import java.util.List;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatReply;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.web.Ids;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes one reply in OpenAI's format: {@code chat.completion.chunk} payloads for a stream, or one
 * {@code chat.completion}. One encoder per reply: it holds the reply's id and whether the assistant
 * role was announced. Usage, which the neutral stream sends last, becomes OpenAI's final usage chunk.
 */
final class ChatCompletionEncoder {

    private final JsonMapper json;
    private final String id;
    private final long created;
    private final String model;
    private final boolean includeUsage;
    private boolean roleSent;

    ChatCompletionEncoder(JsonMapper json, String model, boolean includeUsage) {
        this.json = json;
        this.id = "chatcmpl-" + Ids.hex();
        this.created = System.currentTimeMillis() / 1000;
        this.model = model;
        this.includeUsage = includeUsage;
    }

    /** The payload for one chunk, or {@code null} for none (usage the caller did not ask for). */
    String encode(ChatChunk chunk) {
        if (chunk instanceof ChatChunk.TextDelta text) {
            return delta(new ChatCompletionWire.Delta(role(), text.text(), null), null);
        }
        if (chunk instanceof ChatChunk.ToolCallDelta call) {
            ChatCompletionWire.ToolCallDelta wire = new ChatCompletionWire.ToolCallDelta(call.index(), call.id(),
                    call.id() == null ? null : "function", new ChatCompletionWire.Function(call.name(), call.argumentsDelta()));
            return delta(new ChatCompletionWire.Delta(role(), null, List.of(wire)), null);
        }
        if (chunk instanceof ChatChunk.Finish finish) {
            return delta(new ChatCompletionWire.Delta(role(), null, null), finish.reason().wireName());
        }
        return includeUsage ? json.writeValueAsString(new ChatCompletionWire.Chunk(id, "chat.completion.chunk", created,
                model, List.of(), wire((ChatChunk.Usage) chunk))) : null;
    }

    /** A whole reply as one {@code chat.completion}. */
    String completion(ChatReply reply) {
        List<ChatCompletionWire.ToolCall> calls = reply.toolCalls().stream().map(ChatCompletionEncoder::toolCall).toList();
        String content = reply.text().isEmpty() && !calls.isEmpty() ? null : reply.text();
        ChatCompletionWire.Choice choice = new ChatCompletionWire.Choice(0,
                new ChatCompletionWire.Message("assistant", content, calls), reply.finishReason().wireName());
        return json.writeValueAsString(new ChatCompletionWire.Completion(id, "chat.completion", created, model,
                List.of(choice), reply.usage() == null ? null : wire(reply.usage())));
    }

    private String role() {
        if (roleSent) {
            return null;
        }
        roleSent = true;
        return "assistant";
    }

    private String delta(ChatCompletionWire.Delta delta, String finishReason) {
        return json.writeValueAsString(new ChatCompletionWire.Chunk(id, "chat.completion.chunk", created, model,
                List.of(new ChatCompletionWire.ChunkChoice(0, delta, finishReason)), null));
    }

    private static ChatCompletionWire.Usage wire(ChatChunk.Usage usage) {
        return new ChatCompletionWire.Usage(usage.promptTokens(), usage.completionTokens(), usage.totalTokens());
    }

    private static ChatCompletionWire.ToolCall toolCall(ToolCall call) {
        return new ChatCompletionWire.ToolCall(call.id(), "function", new ChatCompletionWire.Function(call.name(), call.arguments()));
    }
}
