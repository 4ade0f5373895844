package dev.sluice.gateway.provider.http;

import java.util.List;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.ContentPart;
import dev.sluice.gateway.llm.ReplyOptions;
import dev.sluice.gateway.llm.ResponseFormat;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.llm.Sampling;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.llm.ToolChoice;
import dev.sluice.gateway.llm.ToolDefinition;
import dev.sluice.gateway.llm.ToolUse;
import tools.jackson.databind.json.JsonMapper;

/** Requests that every protocol's encoder is tested on, each with its own recorded body. */
public final class SampleRequests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private SampleRequests() {
    }

    /**
     * Every feature at once, the way an OpenAI client sends them: system prompts at the start and in the
     * middle, two parallel tool calls and their results (one JSON, one plain text), a strict JSON Schema
     * for the tool and for the reply, every sampling parameter, one forced tool.
     */
    public static ChatRequest toolRoundTrip() {
        return new ChatRequest("smart",
                List.of(ChatMessage.of(Role.SYSTEM, "You are terse."),
                        ChatMessage.of(Role.USER, "Weather in Paris?"),
                        new ChatMessage(Role.ASSISTANT, "Let me check.", List.of(
                                new ToolCall("call_1", "get_weather", "{\"city\":\"Paris\"}"),
                                new ToolCall("call_2", "get_time", "{\"tz\":\"Europe/Paris\"}")), null, null),
                        new ChatMessage(Role.TOOL, "{\"temp_c\":21}", null, "call_1", null),
                        new ChatMessage(Role.TOOL, "14:05", null, "call_2", null),
                        ChatMessage.of(Role.USER, "Thanks! And tomorrow?"),
                        ChatMessage.of(Role.SYSTEM, "Answer in French.")),
                new Sampling(0.2, 0.9, 42L, 0.1, 0.3, List.of("END")),
                new ReplyOptions(256, null, null, null, new ResponseFormat("json_schema", JSON.readTree(
                        "{\"name\":\"weather\",\"strict\":true,\"schema\":{\"type\":\"object\",\"properties\":"
                                + "{\"temp_c\":{\"type\":\"number\"}},\"required\":[\"temp_c\"]}}"))),
                new ToolUse(List.of(new ToolDefinition("get_weather", "Current weather in a city",
                                JSON.readTree("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
                                        + "\"required\":[\"city\"],\"additionalProperties\":false}"), true),
                        new ToolDefinition("get_time", null, null, null)),
                        ToolChoice.function("get_weather"), false),
                "user-7", null);
    }

    /** A tiny PNG, base64, as a caller inlines an image. */
    public static final String PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

    /** A user turn of text, an inline image, more text and an image by URL, in that order. */
    public static ChatRequest withImages() {
        return ChatRequest.of("smart", List.of(ChatMessage.of(Role.USER, List.of(new ContentPart.Text("Compare this"),
                ContentPart.Image.inline("image/png", PNG), new ContentPart.Text("with that:"),
                ContentPart.Image.at("https://example.com/cat.jpg")))));
    }
}
