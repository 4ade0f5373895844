package dev.sluice.gateway.provider.gemini;

import java.net.URI;
import java.util.regex.Pattern;

import dev.sluice.gateway.provider.UpstreamCall;
import dev.sluice.gateway.provider.UpstreamException;
import dev.sluice.gateway.provider.http.WireProtocol;
import tools.jackson.databind.json.JsonMapper;

/**
 * Google's Gemini API: {@code POST {base}/models/{model}:streamGenerateContent?alt=sse} with
 * {@code x-goog-api-key}, a {@code GenerateContentResponse} per event back. Embeddings are
 * {@code POST {base}/models/{model}:batchEmbedContents} ({@link #batchEmbedContents}).
 */
public final class GeminiProtocol {

    public static final URI DEFAULT_BASE_URL = URI.create("https://generativelanguage.googleapis.com/v1beta");

    /** The model goes into the path, so only names that cannot change the path are sent. */
    private static final Pattern MODEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private GeminiProtocol() {
    }

    /** @param baseUrl the API's base URL, {@code null} for {@link #DEFAULT_BASE_URL} */
    public static WireProtocol of(URI baseUrl, JsonMapper json) {
        String models = WireProtocol.resolve(baseUrl != null ? baseUrl : DEFAULT_BASE_URL, "/models/").toString();
        return new WireProtocol(call -> endpoint(models, call), (headers, apiKey) -> headers.set("x-goog-api-key", apiKey),
                new GeminiRequestEncoder(json)::wire, () -> new GeminiEventReader(json), false);
    }

    private static URI endpoint(String models, UpstreamCall call) {
        return URI.create(models + modelName(call.model()) + ":streamGenerateContent?alt=sse");
    }

    /** Where the Gemini API at {@code baseUrl} ({@code null}: {@link #DEFAULT_BASE_URL}) embeds texts with {@code model}. */
    public static URI batchEmbedContents(URI baseUrl, String model) {
        return WireProtocol.resolve(baseUrl != null ? baseUrl : DEFAULT_BASE_URL,
                "/models/" + modelName(model) + ":batchEmbedContents");
    }

    /**
     * The model's name as it goes into a path, {@code gemini-2.5-flash} whether asked for so or as Gemini's own
     * listings name it ({@code models/gemini-2.5-flash}); a name that could change the path is refused.
     */
    public static String modelName(String model) {
        String name = model.startsWith("models/") ? model.substring(7) : model;
        if (!MODEL.matcher(name).matches()) {
            throw new UpstreamException.Rejected(400, "'" + model + "' is not a Gemini model name");
        }
        return name;
    }
}
