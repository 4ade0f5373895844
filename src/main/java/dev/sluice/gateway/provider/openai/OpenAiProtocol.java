package dev.sluice.gateway.provider.openai;

import java.net.URI;

import dev.sluice.gateway.llm.ReplyOptions;
import dev.sluice.gateway.provider.http.WireProtocol;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import tools.jackson.databind.json.JsonMapper;

/**
 * OpenAI's Chat Completions, as any OpenAI-compatible API speaks it (OpenAI, Groq, OpenRouter, Mistral,
 * Together, DeepSeek, vLLM, Ollama, llama.cpp): {@code POST {base}/chat/completions} with a bearer key,
 * {@code chat.completion.chunk} events back, or one {@code chat.completion} for a reply asked for whole. Embeddings
 * are {@code POST {base}/embeddings} ({@link #embeddings}).
 */
public final class OpenAiProtocol {

    private OpenAiProtocol() {
    }

    /** @param unnamedCap the name a reply cap the caller did not name is sent under */
    public static WireProtocol of(URI baseUrl, ReplyOptions.CapName unnamedCap, JsonMapper json) {
        URI endpoint = WireProtocol.resolve(baseUrl, "/chat/completions");
        return new WireProtocol(call -> endpoint, OpenAiProtocol::bearer, new OpenAiRequestEncoder(unnamedCap)::wire,
                () -> new CompletionChunkReader(json), true);
    }

    /** Where an OpenAI-compatible API takes embeddings requests, which go there in OpenAI's own shape. */
    public static URI embeddings(URI baseUrl) {
        return WireProtocol.resolve(baseUrl, "/embeddings");
    }

    /** Local servers such as Ollama take no key. */
    private static void bearer(HttpHeaders headers, String apiKey) {
        if (apiKey != null) {
            headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + apiKey);
        }
    }
}
