package dev.sluice.gateway.provider.openai;

import java.net.URI;
import java.util.function.BiConsumer;

import dev.sluice.gateway.provider.http.WireProtocol;
import tools.jackson.databind.json.JsonMapper;

/**
 * OpenAI's Chat Completions, as any OpenAI-compatible API speaks it (OpenAI, Groq, OpenRouter, Mistral,
 * Together, DeepSeek, vLLM, Ollama, llama.cpp): {@code POST {base}/chat/completions} with a bearer key,
 * {@code chat.completion.chunk} events back, or one {@code chat.completion}.
 */
public final class OpenAiProtocol {

    private OpenAiProtocol() {
    }

    public static WireProtocol of(URI baseUrl, JsonMapper json) {
        URI endpoint = WireProtocol.resolve(baseUrl, "/chat/completions");
        return new WireProtocol(call -> endpoint, OpenAiProtocol::bearer, OpenAiRequestEncoder::wire,
                () -> new CompletionChunkReader(json));
    }

    /** Local servers such as Ollama take no key. */
    private static void bearer(String apiKey, BiConsumer<String, String> set) {
        if (apiKey != null) {
            set.accept("Authorization", "Bearer " + apiKey);
        }
    }
}
