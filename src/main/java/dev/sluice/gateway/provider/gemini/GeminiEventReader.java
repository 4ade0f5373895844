package dev.sluice.gateway.provider.gemini;

import java.util.concurrent.ThreadLocalRandom;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.provider.http.ChunkSink;
import dev.sluice.gateway.provider.http.JsonEventReader;
import dev.sluice.gateway.provider.http.UpstreamFailures;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads the events of one {@code streamGenerateContent?alt=sse} reply, each a whole
 * {@code GenerateContentResponse}: text parts become text deltas; a function call arrives whole, without
 * an id, and becomes one tool call delta with an id of ours; the finish reason ends the reply. There is
 * no end-of-stream event: the body's end is the end, and without a finish reason it was cut short.
 * Usage is a running total on every response; the last one counts.
 */
final class GeminiEventReader extends JsonEventReader {

    private static final char[] ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    private int toolCalls;

    GeminiEventReader(JsonMapper json) {
        super(json);
    }

    @Override
    protected void read(JsonNode response, ChunkSink reply) {
        JsonNode error = response.path("error");
        if (error.isObject() || error.isString()) {
            throw UpstreamFailures.errorEvent(error);
        }
        JsonNode usage = response.path("usageMetadata");
        if (usage.isObject()) {
            // Thinking tokens are billed as output, as OpenAI counts reasoning tokens among completion tokens.
            reply.usage(new ChatChunk.Usage(usage.path("promptTokenCount").asInt(0),
                    usage.path("candidatesTokenCount").asInt(0) + usage.path("thoughtsTokenCount").asInt(0)));
        }
        if (reply.finished()) {
            // After the finish only the usage may still change.
            return;
        }
        // Sluice asks for one candidate.
        JsonNode candidate = response.path("candidates").path(0);
        for (JsonNode part : candidate.path("content").path("parts")) {
            part(part, reply);
        }
        String reason = candidate.path("finishReason").asString("");
        if (!reason.isEmpty() && !reason.equals("FINISH_REASON_UNSPECIFIED")) {
            reply.finish(finishReason(reason));
        }
        else if (response.path("promptFeedback").path("blockReason").isString()) {
            // The prompt itself was blocked: no candidate at all.
            reply.finish(FinishReason.CONTENT_FILTER);
        }
    }

    /** Thought summaries are left out: they are not part of the answer. */
    private void part(JsonNode part, ChunkSink reply) {
        if (!part.path("thought").asBoolean(false)) {
            reply.text(part.path("text").asString(null));
        }
        JsonNode call = part.path("functionCall");
        if (call.isObject()) {
            String id = call.path("id").asString("");
            JsonNode args = call.path("args");
            reply.toolCall(toolCalls++, id.isEmpty() ? newCallId() : id, call.path("name").asString(null),
                    args.isObject() ? args.toString() : "{}");
        }
    }

    /** Gemini stops with STOP after function calls too; OpenAI's clients look for tool_calls. */
    private FinishReason finishReason(String reason) {
        return switch (reason) {
            case "MAX_TOKENS" -> FinishReason.LENGTH;
            case "SAFETY", "RECITATION", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "IMAGE_SAFETY" -> FinishReason.CONTENT_FILTER;
            default -> toolCalls > 0 ? FinishReason.TOOL_CALLS : FinishReason.STOP;
        };
    }

    /** Unique enough to tell the calls of one conversation apart; never blocks, unlike a SecureRandom. */
    private static String newCallId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] id = new char[24];
        for (int i = 0; i < id.length; i++) {
            id[i] = ID_CHARS[random.nextInt(ID_CHARS.length)];
        }
        return "call_" + new String(id);
    }
}
