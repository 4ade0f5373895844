package dev.sluice.gateway.provider.anthropic;

import java.net.URI;

import dev.sluice.gateway.provider.http.WireProtocol;
import io.netty.handler.codec.http.HttpHeaders;
import tools.jackson.databind.json.JsonMapper;

/** Anthropic's Messages API: {@code POST {base}/messages} with {@code x-api-key}, streamed events back. */
public final class AnthropicProtocol {

    public static final URI DEFAULT_BASE_URL = URI.create("https://api.anthropic.com/v1");

    /** The API version whose request and event shapes this adapter speaks. */
    static final String VERSION = "2023-06-01";

    private AnthropicProtocol() {
    }

    /** @param baseUrl the API's base URL, {@code null} for {@link #DEFAULT_BASE_URL} */
    public static WireProtocol of(URI baseUrl, JsonMapper json) {
        URI endpoint = WireProtocol.resolve(baseUrl != null ? baseUrl : DEFAULT_BASE_URL, "/messages");
        return new WireProtocol(call -> endpoint, AnthropicProtocol::headers, new AnthropicRequestEncoder(json)::wire,
                () -> new AnthropicEventReader(json), false);
    }

    private static void headers(HttpHeaders headers, String apiKey) {
        headers.set("x-api-key", apiKey);
        headers.set("anthropic-version", VERSION);
    }
}
