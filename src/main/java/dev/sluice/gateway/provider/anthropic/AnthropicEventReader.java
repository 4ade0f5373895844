package dev.sluice.gateway.provider.anthropic;

import java.util.HashMap;
import java.util.Map;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.JsonFields;
import dev.sluice.gateway.provider.http.ChunkSink;
import dev.sluice.gateway.provider.http.JsonEventReader;
import dev.sluice.gateway.provider.http.UpstreamFailures;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads the events of one streamed Messages API reply: {@code message_start} (input tokens), content
 * blocks of text or {@code tool_use} with their deltas, {@code message_delta} (stop reason, the stop sequence that
 * matched, output tokens), {@code message_stop}; {@code ping} and block ends carry nothing, an {@code error} event
 * breaks the stream. Each payload names its own type, so the SSE {@code event:} lines are not needed.
 * <p>
 * Thinking (asked for with a reasoning effort) is the reply's {@code reasoning_content}, as OpenAI-compatible
 * servers that reason name it; its signature, which only Anthropic can read back, is not kept.
 * <p>
 * Anthropic numbers content blocks across text and tool calls; tool calls are numbered from 0 among
 * themselves, as OpenAI's clients expect.
 */
final class AnthropicEventReader extends JsonEventReader {

    /** Anthropic's content block index → our tool call index; only blocks that are tool calls. */
    private final Map<Integer, Integer> toolCallByBlock = new HashMap<>(4);
    private boolean stopped;
    private int promptTokens;
    private int completionTokens;
    private JsonFields cachedTokens = JsonFields.EMPTY;

    AnthropicEventReader(JsonMapper json) {
        super(json);
    }

    @Override
    protected void read(JsonNode event, ChunkSink reply) {
        switch (event.path("type").asString("")) {
            case "message_start" -> usage(event.path("message").path("usage"), reply);
            case "content_block_start" -> blockStart(event.path("index").asInt(0), event.path("content_block"), reply);
            case "content_block_delta" -> blockDelta(event.path("index").asInt(0), event.path("delta"), reply);
            case "message_delta" -> {
                usage(event.path("usage"), reply);
                JsonNode stopReason = event.path("delta").path("stop_reason");
                JsonNode stopSequence = event.path("delta").path("stop_sequence");
                if (stopReason.isString()) {
                    reply.finish(finishReason(stopReason.stringValue()),
                            stopSequence.isString() ? stopSequence.stringValue() : null);
                }
            }
            case "message_stop" -> stopped = true;
            case "error" -> throw UpstreamFailures.errorEvent(event.path("error"));
            default -> {
                // ping, content_block_stop, and event types added after this was written
            }
        }
    }

    @Override
    public boolean complete() {
        return stopped;
    }

    private void blockStart(int block, JsonNode content, ChunkSink reply) {
        String type = content.path("type").asString("");
        if (type.equals("tool_use")) {
            int index = toolCallByBlock.size();
            toolCallByBlock.put(block, index);
            // The input always starts empty and arrives as input_json_delta fragments.
            reply.toolCall(index, content.path("id").asString(null), content.path("name").asString(null), "");
        }
        else if (type.equals("text")) {
            reply.text(content.path("text").asString(null));
        }
        // a thinking block's text comes in its deltas; server tool blocks have no place in the neutral model
    }

    private void blockDelta(int block, JsonNode delta, ChunkSink reply) {
        String type = delta.path("type").asString("");
        if (type.equals("text_delta")) {
            reply.text(delta.path("text").asString(null));
        }
        else if (type.equals("thinking_delta")) {
            JsonNode thinking = delta.path("thinking");
            if (thinking.isString() && !thinking.stringValue().isEmpty()) {
                reply.extra(JsonFields.EMPTY, JsonFields.EMPTY, JsonFields.of("reasoning_content", thinking.toString()));
            }
        }
        else if (type.equals("input_json_delta")) {
            Integer index = toolCallByBlock.get(block);
            String fragment = delta.path("partial_json").asString("");
            if (index != null && !fragment.isEmpty()) {
                reply.toolCall(index, null, null, fragment);
            }
        }
    }

    static FinishReason finishReason(String stopReason) {
        return switch (stopReason) {
            case "max_tokens", "model_context_window_exceeded" -> FinishReason.LENGTH;
            case "tool_use" -> FinishReason.TOOL_CALLS;
            case "refusal" -> FinishReason.CONTENT_FILTER;
            // end_turn, stop_sequence, pause_turn
            default -> FinishReason.STOP;
        };
    }

    /**
     * {@code message_start} carries the input tokens, {@code message_delta} the running output total.
     * Cached prompt tokens are counted apart by Anthropic and together by OpenAI; quotas want them all. The cache
     * reads among them are told as OpenAI tells them ({@code prompt_tokens_details.cached_tokens}), for their price.
     */
    private void usage(JsonNode usage, ChunkSink reply) {
        if (!usage.isObject()) {
            return;
        }
        JsonNode input = usage.path("input_tokens");
        if (input.isNumber()) {
            int cacheRead = usage.path("cache_read_input_tokens").asInt(0);
            promptTokens = input.asInt(0) + usage.path("cache_creation_input_tokens").asInt(0) + cacheRead;
            cachedTokens = cacheRead > 0 ? JsonFields.of("prompt_tokens_details", "{\"cached_tokens\":" + cacheRead + "}")
                    : JsonFields.EMPTY;
        }
        JsonNode output = usage.path("output_tokens");
        if (output.isNumber()) {
            completionTokens = output.asInt(0);
        }
        reply.usage(new ChatChunk.Usage(promptTokens, completionTokens, cachedTokens));
    }
}
