package dev.sluice.gateway.embedding;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;

import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.json.JsonMapper;

/**
 * Vectors written as OpenAI's {@code data} array, for the providers that do not answer in it (Gemini, the demo):
 * {@code {"object":"embedding","index":i,"embedding":...}} per vector, in input order, the vector as JSON numbers or,
 * for {@code encoding_format: base64}, as OpenAI sends it then: the base64 of its little-endian float32s.
 */
final class EmbeddingData {

    private EmbeddingData() {
    }

    static EmbeddingReply write(List<float[]> vectors, boolean base64, Integer promptTokens, JsonMapper json) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(estimatedBytes(vectors, base64));
        try (JsonGenerator generator = json.createGenerator(out)) {
            generator.writeStartArray();
            for (int i = 0; i < vectors.size(); i++) {
                generator.writeStartObject();
                generator.writeStringProperty("object", "embedding");
                generator.writeNumberProperty("index", i);
                generator.writeName("embedding");
                if (base64) {
                    generator.writeString(base64(vectors.get(i)));
                }
                else {
                    generator.writeStartArray();
                    for (float value : vectors.get(i)) {
                        generator.writeNumber(value);
                    }
                    generator.writeEndArray();
                }
                generator.writeEndObject();
            }
            generator.writeEndArray();
        }
        byte[] bytes = out.toByteArray();
        return new EmbeddingReply(bytes, 0, bytes.length, promptTokens);
    }

    /** The vector's float32s, little-endian, in base64: what numpy's {@code frombuffer(..., dtype=float32)} reads. */
    static String base64(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(vector);
        return Base64.getEncoder().encodeToString(bytes.array());
    }

    private static int estimatedBytes(List<float[]> vectors, boolean base64) {
        long values = 0;
        for (float[] vector : vectors) {
            values += vector.length;
        }
        long bytes = 64L * vectors.size() + values * (base64 ? 6 : 12);
        return (int) Math.min(bytes, 64L * 1024 * 1024);
    }
}
