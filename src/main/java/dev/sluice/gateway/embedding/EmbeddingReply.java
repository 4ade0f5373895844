package dev.sluice.gateway.embedding;

/**
 * A provider's embeddings, ready to go to the caller: the JSON text of OpenAI's {@code data} array (of an
 * OpenAI-compatible provider, the very bytes of its reply, not parsed into objects and written again), and the input
 * tokens the provider counted.
 *
 * @param json holds the array at {@code offset}, {@code length} bytes long, UTF-8
 * @param promptTokens the provider's count of the input tokens, or {@code null} when it gave none
 */
record EmbeddingReply(byte[] json, int offset, int length, Integer promptTokens) {

    @Override
    public String toString() {
        return "EmbeddingReply[" + length + " bytes, promptTokens=" + promptTokens + "]";
    }
}
