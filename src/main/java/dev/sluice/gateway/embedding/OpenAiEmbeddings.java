package dev.sluice.gateway.embedding;

import java.net.URI;
import java.util.function.Supplier;

import dev.sluice.gateway.provider.JsonClient;
import dev.sluice.gateway.provider.UpstreamException;
import dev.sluice.gateway.provider.openai.OpenAiProtocol;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Embeddings from an OpenAI-compatible API, which speaks the caller's protocol: the request goes to
 * {@code POST {base-url}/embeddings} as the caller sent it, its {@code model} alone rewritten to the target's, unknown
 * fields included; the reply's {@code data} array comes back as its bytes, found by one pass of the parser that reads
 * {@code usage.prompt_tokens} and skips everything else.
 */
final class OpenAiEmbeddings implements EmbeddingClient {

    private final URI endpoint;
    private final JsonClient client;
    private final JsonMapper json;
    private final int maxReplyBytes;
    private final Supplier<? extends RuntimeException> tooLarge;

    OpenAiEmbeddings(URI baseUrl, JsonClient client, JsonMapper json, int maxReplyBytes,
            Supplier<? extends RuntimeException> tooLarge) {
        this.endpoint = OpenAiProtocol.embeddings(baseUrl);
        this.client = client;
        this.json = json;
        this.maxReplyBytes = maxReplyBytes;
        this.tooLarge = tooLarge;
    }

    @Override
    public Mono<EmbeddingReply> embed(String model, EmbeddingRequest request, String apiKey) {
        return Mono.defer(() -> client.post(endpoint, body(model, request), apiKey, maxReplyBytes, tooLarge))
                .map(this::read);
    }

    /** The caller's body with the target's model: a shallow copy, so that the caller's input is not copied. */
    ObjectNode body(String model, EmbeddingRequest request) {
        ObjectNode body = json.createObjectNode();
        body.setAll(request.body());
        body.put("model", model);
        return body;
    }

    /** The {@code data} array of an OpenAI embeddings reply, in place, and its {@code usage.prompt_tokens}. */
    EmbeddingReply read(byte[] reply) {
        try (JsonParser parser = json.createParser(reply)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw broken("it is not a JSON object");
            }
            int dataStart = -1;
            int dataEnd = -1;
            Integer promptTokens = null;
            while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (name.equals("data") && value == JsonToken.START_ARRAY) {
                    dataStart = (int) parser.currentTokenLocation().getByteOffset();
                    parser.skipChildren();
                    dataEnd = (int) parser.currentLocation().getByteOffset();
                }
                else if (name.equals("usage") && value == JsonToken.START_OBJECT) {
                    promptTokens = promptTokens(parser);
                }
                else {
                    parser.skipChildren();
                }
            }
            if (dataStart < 0) {
                throw broken("it holds no data array");
            }
            return new EmbeddingReply(reply, dataStart, dataEnd - dataStart, promptTokens);
        }
        catch (JacksonException unreadable) {
            throw broken("it is not valid JSON (" + unreadable.getOriginalMessage() + ")");
        }
    }

    private static Integer promptTokens(JsonParser parser) {
        Integer promptTokens = null;
        while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
            String name = parser.currentName();
            if (parser.nextToken() == JsonToken.VALUE_NUMBER_INT && name.equals("prompt_tokens")) {
                promptTokens = parser.getIntValue();
            }
            else {
                parser.skipChildren();
            }
        }
        return promptTokens;
    }

    private static UpstreamException.StreamBroken broken(String why) {
        return new UpstreamException.StreamBroken("the embeddings reply cannot be read: " + why);
    }
}
