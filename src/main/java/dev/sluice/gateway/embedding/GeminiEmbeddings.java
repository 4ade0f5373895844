package dev.sluice.gateway.embedding;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.sluice.gateway.provider.JsonClient;
import dev.sluice.gateway.provider.UpstreamException;
import dev.sluice.gateway.provider.gemini.GeminiProtocol;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.json.JsonMapper;

/**
 * Embeddings from Google's Gemini API: {@code POST {base-url}/models/{model}:batchEmbedContents}, one entry of
 * {@code requests} per text ({@code dimensions} as its {@code outputDimensionality}), and the {@code values} of each
 * of the reply's {@code embeddings} written back as OpenAI's data, as floats or base64. Gemini takes at most
 * {@value #MAX_BATCH} texts a call, where OpenAI takes 2048: more go in several calls, one after the other, with the
 * same key, as one attempt of the router's, and their replies together within {@code max-reply-bytes}.
 * Gemini embeds texts only and counts no tokens in its reply: token arrays, and fields beyond OpenAI's own, are
 * refused with a 400 naming them; {@code user}, which only tags the request for the provider's abuse monitoring, is
 * not sent, as for chats.
 */
final class GeminiEmbeddings implements EmbeddingClient {

    /** The fields of an OpenAI embeddings request this translation understands. */
    private static final Set<String> EXPRESSIBLE = Set.of("model", "input", "encoding_format", "dimensions", "user");
    /** The most requests one {@code batchEmbedContents} takes. */
    static final int MAX_BATCH = 100;

    private final URI baseUrl;
    private final JsonClient client;
    private final JsonMapper json;
    private final int maxReplyBytes;
    private final Supplier<? extends RuntimeException> tooLarge;

    GeminiEmbeddings(URI baseUrl, JsonClient client, JsonMapper json, int maxReplyBytes,
            Supplier<? extends RuntimeException> tooLarge) {
        this.baseUrl = baseUrl;
        this.client = client;
        this.json = json;
        this.maxReplyBytes = maxReplyBytes;
        this.tooLarge = tooLarge;
    }

    @Override
    public Mono<EmbeddingReply> embed(String model, EmbeddingRequest request, String apiKey) {
        return Mono.defer(() -> {
            URI endpoint = GeminiProtocol.batchEmbedContents(baseUrl, model);
            List<EmbedRequest> requests = requests(model, request);
            Gathered gathered = new Gathered(requests.size());
            return Flux.range(0, (requests.size() + MAX_BATCH - 1) / MAX_BATCH)
                    .map(batch -> requests.subList(batch * MAX_BATCH, Math.min(requests.size(), (batch + 1) * MAX_BATCH)))
                    .concatMap(batch -> client.post(endpoint, new BatchRequest(batch), apiKey,
                                    maxReplyBytes - gathered.bytes, tooLarge)
                            .doOnNext(reply -> gathered.add(reply.length, read(reply, batch.size()))))
                    .then(Mono.fromCallable(() -> EmbeddingData.write(gathered.vectors, request.base64(), null, json)));
        });
    }

    /**
     * One {@code batchEmbedContents} entry per text of {@code request}; a {@link UpstreamException.Rejected} for what
     * Gemini cannot take.
     */
    static List<EmbedRequest> requests(String model, EmbeddingRequest request) {
        request.body().propertyNames().forEach(field -> {
            if (!EXPRESSIBLE.contains(field)) {
                throw new UpstreamException.Rejected(400, field + ": Gemini's embeddings have no such parameter");
            }
        });
        if (!(request.input() instanceof EmbeddingInput.Texts texts)) {
            throw new UpstreamException.Rejected(400, "input: Gemini embeds texts, not token arrays; send strings");
        }
        String name = "models/" + GeminiProtocol.modelName(model);
        List<EmbedRequest> requests = new ArrayList<>(texts.texts().size());
        for (String text : texts.texts()) {
            requests.add(new EmbedRequest(name, new Content(List.of(new Part(text))), request.dimensions()));
        }
        return requests;
    }

    /** The vectors of a {@code BatchEmbedContentsResponse}, one per text sent, in order. */
    List<float[]> read(byte[] reply, int texts) {
        List<float[]> vectors = new ArrayList<>(texts);
        try (JsonParser parser = json.createParser(reply)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw broken("it is not a JSON object");
            }
            while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = parser.currentName();
                if (parser.nextToken() == JsonToken.START_ARRAY && name.equals("embeddings")) {
                    while (parser.nextToken() == JsonToken.START_OBJECT) {
                        vectors.add(values(parser));
                    }
                }
                else {
                    parser.skipChildren();
                }
            }
        }
        catch (JacksonException unreadable) {
            throw broken("it is not valid JSON (" + unreadable.getOriginalMessage() + ")");
        }
        if (vectors.size() != texts) {
            throw broken(vectors.size() + " embeddings for " + texts + " inputs");
        }
        return vectors;
    }

    /** One {@code ContentEmbedding}: its {@code values}, the parser left on its end. */
    private static float[] values(JsonParser parser) {
        float[] values = null;
        while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
            String name = parser.currentName();
            if (parser.nextToken() == JsonToken.START_ARRAY && name.equals("values")) {
                values = floats(parser);
            }
            else {
                parser.skipChildren();
            }
        }
        if (values == null) {
            throw broken("an embedding holds no values");
        }
        return values;
    }

    private static float[] floats(JsonParser parser) {
        float[] values = new float[256];
        int count = 0;
        JsonToken token;
        while ((token = parser.nextToken()) == JsonToken.VALUE_NUMBER_FLOAT || token == JsonToken.VALUE_NUMBER_INT) {
            if (count == values.length) {
                values = Arrays.copyOf(values, 2 * count);
            }
            values[count++] = parser.getFloatValue();
        }
        if (token != JsonToken.END_ARRAY) {
            throw broken("an embedding's values are not all numbers");
        }
        return Arrays.copyOf(values, count);
    }

    private static UpstreamException.StreamBroken broken(String why) {
        return new UpstreamException.StreamBroken("the Gemini embeddings reply cannot be read: " + why);
    }

    /** The vectors of the calls so far, and the bytes of their replies. Written by one call at a time. */
    private static final class Gathered {

        final List<float[]> vectors;
        int bytes;

        Gathered(int texts) {
            vectors = new ArrayList<>(texts);
        }

        void add(int replyBytes, List<float[]> more) {
            bytes += replyBytes;
            vectors.addAll(more);
        }
    }

    record BatchRequest(List<EmbedRequest> requests) {
    }

    record EmbedRequest(String model, Content content,
            @JsonInclude(JsonInclude.Include.NON_NULL) Integer outputDimensionality) {
    }

    record Content(List<Part> parts) {
    }

    record Part(String text) {
    }
}
