package dev.sluice.gateway.embedding;

import tools.jackson.databind.node.ObjectNode;

/**
 * An embeddings request, checked: what Sluice needs to understand of it, and the body as the caller sent it, which
 * goes to OpenAI-compatible providers as it is but for its {@code model}.
 *
 * @param model the alias or {@code provider/model} asked for
 * @param encodingFormat {@code float} or {@code base64}; {@code null} when not sent (float)
 * @param dimensions how many dimensions the vectors should have, or {@code null} for the model's own
 * @param user the caller's end user, or {@code null}
 * @param body the request's JSON, unchanged
 */
record EmbeddingRequest(String model, EmbeddingInput input, String encodingFormat, Integer dimensions, String user,
        ObjectNode body) {

    static final String FLOAT = "float";
    static final String BASE64 = "base64";

    /** Whether the vectors go back as base64 strings of little-endian float32s rather than JSON numbers. */
    boolean base64() {
        return BASE64.equals(encodingFormat);
    }

    @Override
    public String toString() {
        return "EmbeddingRequest[model=" + model + ", inputs=" + input.count() + "]";
    }
}
