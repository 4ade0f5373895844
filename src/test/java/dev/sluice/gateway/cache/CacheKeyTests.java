package dev.sluice.gateway.cache;

import java.util.List;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.ContentPart;
import dev.sluice.gateway.llm.JsonFields;
import dev.sluice.gateway.llm.ReplyOptions;
import dev.sluice.gateway.llm.ResponseFormat;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.llm.Sampling;
import dev.sluice.gateway.llm.ToolChoice;
import dev.sluice.gateway.llm.ToolDefinition;
import dev.sluice.gateway.llm.ToolUse;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

class CacheKeyTests {

    private static final ChatRequest BASE = new ChatRequest("fast", List.of(ChatMessage.of(Role.SYSTEM, "Be brief."),
            ChatMessage.of(Role.USER, "Hi")), new Sampling(0.0, null, null, null, null, List.of("\n")),
            new ReplyOptions(100, null, null, null, null), null, null, null);

    @Test
    void theSameRequestHasTheSameKeyInItsScope() {
        String key = CacheKey.of("sluice:cache:", "user-1", BASE);

        assertThat(key).matches("sluice:cache:user-1:[0-9a-f]{64}");
        assertThat(CacheKey.of("sluice:cache:", "user-1", copy(BASE))).isEqualTo(key);
        assertThat(CacheKey.of("sluice:cache:", "user-2", BASE)).as("another user's scope").isNotEqualTo(key);
    }

    @Test
    void everythingThatShapesTheReplyChangesTheKey() {
        JsonMapper json = JsonMapper.builder().build();
        List<ChatRequest> variants = List.of(
                BASE.withModel("smart"),
                BASE.withMessages(List.of(ChatMessage.of(Role.SYSTEM, "Be brief."), ChatMessage.of(Role.USER, "Hi!"))),
                BASE.withMessages(List.of(ChatMessage.of(Role.USER, "Be brief."), ChatMessage.of(Role.USER, "Hi"))),
                // The same text split differently between messages.
                BASE.withMessages(List.of(ChatMessage.of(Role.SYSTEM, "Be brief.H"), ChatMessage.of(Role.USER, "i"))),
                with(BASE, 0.5, null, 100, List.of("\n"), null),
                with(BASE, 0.0, 0.9, 100, List.of("\n"), null),
                with(BASE, 0.0, null, 101, List.of("\n"), null),
                with(BASE, 0.0, null, null, List.of("\n"), null),
                with(BASE, 0.0, null, 100, List.of(), null),
                with(BASE, 0.0, null, 100, List.of("\n"), 42L),
                new ChatRequest("fast", BASE.messages(), BASE.sampling(), BASE.reply(), new ToolUse(
                        List.of(new ToolDefinition("weather", null, json.readTree("{\"type\":\"object\"}"), null)),
                        null, null), null, null),
                new ChatRequest("fast", BASE.messages(), BASE.sampling(), BASE.reply(),
                        new ToolUse(List.of(), ToolChoice.of(ToolChoice.Mode.REQUIRED), null), null, null),
                new ChatRequest("fast", BASE.messages(), BASE.sampling(),
                        new ReplyOptions(100, null, null, null, new ResponseFormat("json_object", null)), null, null, null),
                // The cap's name, how many choices, how hard to think: each changes what the provider is asked.
                new ChatRequest("fast", BASE.messages(), BASE.sampling(),
                        new ReplyOptions(100, ReplyOptions.CapName.MAX_COMPLETION_TOKENS, null, null, null), null, null, null),
                new ChatRequest("fast", BASE.messages(), BASE.sampling(), new ReplyOptions(100, null, 2, null, null),
                        null, null, null),
                new ChatRequest("fast", BASE.messages(), BASE.sampling(), new ReplyOptions(100, null, null, "high", null),
                        null, null, null),
                // A parameter passed through as it came, or another value of it.
                new ChatRequest("fast", BASE.messages(), BASE.sampling(), BASE.reply(), null, null,
                        JsonFields.of("logprobs", "true")),
                new ChatRequest("fast", BASE.messages(), BASE.sampling(), BASE.reply(), null, null,
                        JsonFields.of("logprobs", "false")),
                // A part of a kind the neutral model does not model, a message's own field, an image's detail.
                BASE.withMessages(List.of(ChatMessage.of(Role.SYSTEM, "Be brief."), ChatMessage.of(Role.USER, List.of(
                        new ContentPart.Raw("input_audio", "{\"type\":\"input_audio\"}", null), new ContentPart.Text("Hi"))))),
                BASE.withMessages(List.of(ChatMessage.of(Role.SYSTEM, "Be brief."), new ChatMessage(Role.USER, "Hi",
                        List.of(), null, null, List.of(), JsonFields.of("cache_control", "{}")))),
                BASE.withMessages(List.of(ChatMessage.of(Role.SYSTEM, "Be brief."), ChatMessage.of(Role.USER,
                        List.of(new ContentPart.Image(null, null, "https://example.com/cat.png", "low"), new ContentPart.Text("Hi"))))),
                // The same text with an image, or with another one.
                BASE.withMessages(List.of(ChatMessage.of(Role.SYSTEM, "Be brief."), ChatMessage.of(Role.USER,
                        List.of(ContentPart.Image.inline("image/png", "iVBORw0KGgo="), new ContentPart.Text("Hi"))))),
                BASE.withMessages(List.of(ChatMessage.of(Role.SYSTEM, "Be brief."), ChatMessage.of(Role.USER,
                        List.of(ContentPart.Image.at("https://example.com/cat.png"), new ContentPart.Text("Hi"))))));

        String base = CacheKey.of("p:", "s", BASE);
        assertThat(variants).allSatisfy(variant -> assertThat(CacheKey.of("p:", "s", variant)).isNotEqualTo(base));
        assertThat(variants.stream().map(variant -> CacheKey.of("p:", "s", variant)).distinct()).hasSize(variants.size());
    }

    @Test
    void theEndUserNameAndTheSignOfZeroDoNotChangeTheKey() {
        ChatRequest named = new ChatRequest("fast", BASE.messages(), new Sampling(-0.0, null, null, null, null, List.of("\n")),
                BASE.reply(), null, "end-user-7", null);

        assertThat(CacheKey.of("p:", "s", named)).isEqualTo(CacheKey.of("p:", "s", BASE));
    }

    private static ChatRequest copy(ChatRequest request) {
        return request.withMessages(List.copyOf(request.messages()));
    }

    private static ChatRequest with(ChatRequest request, Double temperature, Double topP, Integer maxTokens, List<String> stop,
            Long seed) {
        return new ChatRequest(request.model(), request.messages(), new Sampling(temperature, topP, seed, null, null, stop),
                new ReplyOptions(maxTokens, null, null, null, null), null, null, null);
    }
}
