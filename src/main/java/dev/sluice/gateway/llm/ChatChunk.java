package dev.sluice.gateway.llm;

/**
 * One piece of a streamed reply, as every provider adapter emits it. A well-formed stream is any
 * number of {@link TextDelta} and {@link ToolCallDelta}, then one {@link Finish}, then at most one
 * {@link Usage} (adapters hold usage back until after the finish, whatever order their wire uses).
 * A stream that ends without a finish was cut short.
 */
public sealed interface ChatChunk {

    record TextDelta(String text) implements ChatChunk {
    }

    /**
     * A fragment of a tool call. The first fragment of call {@code index} carries its id and name;
     * later ones only append to the arguments.
     */
    record ToolCallDelta(int index, String id, String name, String argumentsDelta) implements ChatChunk {
    }

    record Usage(int promptTokens, int completionTokens) implements ChatChunk {

        public int totalTokens() {
            return promptTokens + completionTokens;
        }
    }

    record Finish(FinishReason reason) implements ChatChunk {
    }
}
