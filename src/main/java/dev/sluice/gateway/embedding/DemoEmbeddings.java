package dev.sluice.gateway.embedding;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.sluice.gateway.provider.UpstreamException;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * The demo simulator's embeddings, made in process so that the embedded default embeds without keys, as it chats:
 * not a language model's, but deterministic and not random either. Each word (lower-cased; for token arrays, each
 * token id) is hashed to one dimension and a sign, and the sum is scaled to length 1: texts that share words come out
 * close, so a retrieval demo finds something sensible. {@value #DEFAULT_DIMENSIONS} dimensions unless
 * {@code dimensions} asks for others, at most {@value #MAX_DIMENSIONS}. The usage is Sluice's own estimate.
 */
final class DemoEmbeddings implements EmbeddingClient {

    static final int DEFAULT_DIMENSIONS = 256;
    static final int MAX_DIMENSIONS = 4096;

    private final JsonMapper json;

    DemoEmbeddings(JsonMapper json) {
        this.json = json;
    }

    @Override
    public Mono<EmbeddingReply> embed(String model, EmbeddingRequest request, String apiKey) {
        return Mono.fromCallable(() -> {
            int dimensions = request.dimensions() == null ? DEFAULT_DIMENSIONS : request.dimensions();
            if (dimensions > MAX_DIMENSIONS) {
                throw new UpstreamException.Rejected(400, "dimensions: the demo simulator makes at most "
                        + MAX_DIMENSIONS + " dimensions");
            }
            List<float[]> vectors = new ArrayList<>(request.input().count());
            if (request.input() instanceof EmbeddingInput.Texts texts) {
                texts.texts().forEach(text -> vectors.add(ofText(text, dimensions)));
            }
            else if (request.input() instanceof EmbeddingInput.TokenArrays arrays) {
                arrays.arrays().forEach(tokens -> vectors.add(ofTokens(tokens, dimensions)));
            }
            int promptTokens = (int) Math.min(Integer.MAX_VALUE, request.input().estimatedTokens());
            return EmbeddingData.write(vectors, request.base64(), promptTokens, json);
        });
    }

    /** The words' hashed sum; a text of no words at all counts as one word. */
    static float[] ofText(String text, int dimensions) {
        float[] vector = new float[dimensions];
        String lower = text.toLowerCase(Locale.ROOT);
        int words = 0;
        int start = -1;
        for (int i = 0; i <= lower.length(); i++) {
            boolean inWord = i < lower.length() && Character.isLetterOrDigit(lower.charAt(i));
            if (inWord && start < 0) {
                start = i;
            }
            else if (!inWord && start >= 0) {
                add(vector, hash(lower, start, i));
                words++;
                start = -1;
            }
        }
        if (words == 0) {
            add(vector, hash(lower, 0, lower.length()));
        }
        return normalized(vector);
    }

    static float[] ofTokens(int[] tokens, int dimensions) {
        float[] vector = new float[dimensions];
        for (int token : tokens) {
            add(vector, mix(token));
        }
        return normalized(vector);
    }

    /** One dimension, chosen by the hash, and its sign, by the hash's lowest bit. */
    private static void add(float[] vector, long hash) {
        int dimension = (int) ((hash >>> 1) % vector.length);
        vector[dimension] += (hash & 1) == 0 ? 1 : -1;
    }

    /** FNV-1a over the characters, then mixed: the same word gives the same dimension on every run and machine. */
    private static long hash(String text, int from, int to) {
        long hash = 0xcbf29ce484222325L;
        for (int i = from; i < to; i++) {
            hash = (hash ^ text.charAt(i)) * 0x100000001b3L;
        }
        return mix(hash);
    }

    /** SplitMix64's finaliser. */
    private static long mix(long value) {
        long z = value + 0x9e3779b97f4a7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private static float[] normalized(float[] vector) {
        double sum = 0;
        for (float value : vector) {
            sum += value * value;
        }
        if (sum > 0) {
            float scale = (float) (1 / Math.sqrt(sum));
            for (int i = 0; i < vector.length; i++) {
                vector[i] *= scale;
            }
        }
        return vector;
    }
}
