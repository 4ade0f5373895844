package dev.sluice.gateway.chat.openai;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.sluice.gateway.provider.http.EventStreams;
import dev.sluice.gateway.provider.http.FakeEventServer;
import dev.sluice.gateway.provider.http.FakeEventServer.Received;
import dev.sluice.gateway.provider.http.FakeEventServer.Reply;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Anthropic and Gemini streams arrive on {@code /v1} as the OpenAI chunks a caller expects: the same
 * deltas, finish reasons, usage chunk and {@code [DONE]} as from an OpenAI-compatible upstream. Each
 * vendor is a fake on a real socket replaying recorded replies, behind an alias of its own.
 */
class ForeignProtocolsIT extends IntegrationTest {

    private static final FakeEventServer anthropic = FakeEventServer.start();
    private static final FakeEventServer gemini = FakeEventServer.start();

    @DynamicPropertySource
    static void foreignProviders(DynamicPropertyRegistry registry) {
        registry.add("sluice.providers.claude.type", () -> "anthropic");
        registry.add("sluice.providers.claude.base-url", () -> anthropic.baseUrl() + "/v1");
        registry.add("sluice.providers.claude.api-keys", () -> "sk-ant-it");
        registry.add("sluice.aliases.claude.targets", () -> "claude/claude-sonnet-4-5");
        registry.add("sluice.providers.gem.type", () -> "gemini");
        registry.add("sluice.providers.gem.base-url", () -> gemini.baseUrl() + "/v1beta");
        registry.add("sluice.providers.gem.api-keys", () -> "AIza-it");
        registry.add("sluice.aliases.gem.targets", () -> "gem/gemini-2.5-flash");
    }

    @BeforeEach
    void quietFakes() {
        anthropic.reset();
        gemini.reset();
    }

    @Test
    void anAnthropicStreamArrivesAsOpenAiChunksWithUsageThenDone() {
        anthropic.enqueue(Reply.events(EventStreams.fixture("/provider/anthropic/text-stream.sse")));

        List<JsonNode> chunks = streamed("claude", "Greet me in German", "claude/claude-sonnet-4-5");

        assertThat(chunks.get(0).path("object").asString()).isEqualTo("chat.completion.chunk");
        assertThat(chunks.get(0).path("model").asString()).as("the model as the caller named it").isEqualTo("claude");
        assertThat(contents(chunks)).containsExactly("Hello", "! Grüß dich 👋");
        assertThat(finishReasons(chunks)).containsExactly("stop");
        assertUsage(chunks, 25, 12);
        Received sent = anthropic.received().get(0);
        assertThat(sent.uri()).isEqualTo("/v1/messages");
        assertThat(sent.headers()).containsEntry("x-api-key", "sk-ant-it");
        JsonNode body = SseEvents.json(sent.body());
        assertThat(body.path("model").asString()).as("the provider's own model name").isEqualTo("claude-sonnet-4-5");
        assertThat(body.at("/messages/0/content/0/text").asString()).isEqualTo("Greet me in German");
    }

    @Test
    void aGeminiStreamArrivesAsOpenAiChunksWithUsageThenDone() {
        gemini.enqueue(Reply.events(EventStreams.fixture("/provider/gemini/text-stream.sse")));

        List<JsonNode> chunks = streamed("gem", "Capital of France?", "gem/gemini-2.5-flash");

        assertThat(chunks.get(0).at("/choices/0/delta/role").asString()).isEqualTo("assistant");
        assertThat(contents(chunks)).containsExactly("The capital", " of France is Paris. Très ", "belle 🗼");
        assertThat(finishReasons(chunks)).containsExactly("stop");
        assertUsage(chunks, 9, 35);
        Received sent = gemini.received().get(0);
        assertThat(sent.uri()).isEqualTo("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
        assertThat(sent.headers()).containsEntry("x-goog-api-key", "AIza-it");
        assertThat(SseEvents.json(sent.body()).at("/contents/0/parts/0/text").asString()).isEqualTo("Capital of France?");
    }

    @Test
    void anAnthropicToolUseStreamsAsOpenAiToolCallDeltas() {
        anthropic.enqueue(Reply.events(EventStreams.fixture("/provider/anthropic/tool-use-stream.sse")));

        List<JsonNode> chunks = streamed("claude", "Weather and time in Paris?", "claude/claude-sonnet-4-5");

        List<JsonNode> calls = new ArrayList<>();
        chunks.forEach(chunk -> chunk.at("/choices/0/delta/tool_calls").forEach(calls::add));
        JsonNode first = calls.get(0);
        assertThat(first.path("index").asInt()).isZero();
        assertThat(first.path("id").asString()).isEqualTo("toolu_01T1x1fJ34qAmk2tNTrN7Up6");
        assertThat(first.path("type").asString()).isEqualTo("function");
        assertThat(first.at("/function/name").asString()).isEqualTo("get_weather");
        Map<Integer, StringBuilder> arguments = new TreeMap<>();
        calls.forEach(call -> arguments.computeIfAbsent(call.path("index").asInt(), index -> new StringBuilder())
                .append(call.at("/function/arguments").asString("")));
        assertThat(arguments.values()).extracting(StringBuilder::toString).as("the fragments join into each call's arguments")
                .containsExactly("{\"city\": \"Paris\", \"unit\": \"celsius\"}", "{\"tz\": \"Europe/Paris\"}");
        assertThat(contents(chunks)).containsExactly("Let me check both.");
        assertThat(finishReasons(chunks)).containsExactly("tool_calls");
        assertUsage(chunks, 572, 89);
    }

    @Test
    void aGeminiFunctionCallComesBackAsAnOpenAiToolCall() {
        gemini.enqueue(Reply.events(EventStreams.fixture("/provider/gemini/function-call-stream.sse")));

        web.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("""
                        {"model":"gem","messages":[{"role":"user","content":"Weather in Paris?"}],
                         "tools":[{"type":"function","function":{"name":"get_weather",
                           "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}""")
                .exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.choices[0].finish_reason").isEqualTo("tool_calls")
                .jsonPath("$.choices[0].message.tool_calls[0].id").value(id -> assertThat((String) id)
                        .as("an id of ours, for the caller to answer the call with").startsWith("call_"))
                .jsonPath("$.choices[0].message.tool_calls[0].function.name").isEqualTo("get_weather")
                .jsonPath("$.choices[0].message.tool_calls[0].function.arguments").isEqualTo("{\"city\":\"Paris\",\"unit\":\"celsius\"}")
                .jsonPath("$.choices[0].message.tool_calls[1].function.name").isEqualTo("get_time")
                .jsonPath("$.usage.prompt_tokens").isEqualTo(118);

        JsonNode sent = SseEvents.json(gemini.received().get(0).body());
        assertThat(sent.at("/tools/0/functionDeclarations/0/name").asString()).isEqualTo("get_weather");
    }

    /** The data events of a streamed completion with usage, checked to end with a usage chunk and [DONE]. */
    private List<JsonNode> streamed(String model, String prompt, String servedBy) {
        List<ServerSentEvent<String>> events = SseEvents.withData(web.post().uri("/v1/chat/completions")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("""
                        {"model":"%s","stream":true,"stream_options":{"include_usage":true},
                         "messages":[{"role":"user","content":"%s"}]}""".formatted(model, prompt))
                .exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_EVENT_STREAM)
                .expectHeader().valueEquals("X-Sluice-Provider", servedBy)
                .expectBodyList(SseEvents.TYPE).returnResult().getResponseBody());
        assertThat(events.get(events.size() - 1).data()).as("a complete stream ends with [DONE]").isEqualTo("[DONE]");
        return events.subList(0, events.size() - 1).stream().map(SseEvents::json).toList();
    }

    private static List<String> contents(List<JsonNode> chunks) {
        return chunks.stream().map(chunk -> chunk.at("/choices/0/delta/content"))
                .filter(JsonNode::isString).map(JsonNode::asString).toList();
    }

    private static List<String> finishReasons(List<JsonNode> chunks) {
        return chunks.stream().map(chunk -> chunk.at("/choices/0/finish_reason"))
                .filter(JsonNode::isString).map(JsonNode::asString).toList();
    }

    /** OpenAI's usage chunk: the last before [DONE], with no choices. */
    private static void assertUsage(List<JsonNode> chunks, int prompt, int completion) {
        JsonNode last = chunks.get(chunks.size() - 1);
        assertThat(last.path("choices").size()).as("OpenAI's usage chunk has no choices").isZero();
        assertThat(last.at("/usage/prompt_tokens").asInt()).isEqualTo(prompt);
        assertThat(last.at("/usage/completion_tokens").asInt()).isEqualTo(completion);
        assertThat(last.at("/usage/total_tokens").asInt()).isEqualTo(prompt + completion);
    }
}
