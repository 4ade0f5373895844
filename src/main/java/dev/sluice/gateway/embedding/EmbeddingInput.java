package dev.sluice.gateway.embedding;

import java.util.List;

import dev.sluice.gateway.llm.TokenEstimate;

/** What an embeddings request asks to embed: texts, or texts already split into token ids. */
sealed interface EmbeddingInput {

    /** How many vectors the reply holds: one per input. */
    int count();

    /** The tokens the provider reads: characters over four for texts, the ids themselves for token arrays. */
    long estimatedTokens();

    /** {@code input} as a string or an array of strings. */
    record Texts(List<String> texts) implements EmbeddingInput {

        public Texts {
            texts = List.copyOf(texts);
        }

        @Override
        public int count() {
            return texts.size();
        }

        @Override
        public long estimatedTokens() {
            long chars = 0;
            for (String text : texts) {
                chars += text.length();
            }
            return TokenEstimate.ofChars(chars);
        }
    }

    /** {@code input} as an array of token ids, or an array of such arrays. */
    record TokenArrays(List<int[]> arrays) implements EmbeddingInput {

        public TokenArrays {
            arrays = List.copyOf(arrays);
        }

        @Override
        public int count() {
            return arrays.size();
        }

        @Override
        public long estimatedTokens() {
            long tokens = 0;
            for (int[] array : arrays) {
                tokens += array.length;
            }
            return tokens;
        }
    }
}
