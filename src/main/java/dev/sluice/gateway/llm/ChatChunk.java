package dev.sluice.gateway.llm;

/**
 * One piece of a streamed reply, as every provider adapter emits it. A well-formed stream is any
 * number of {@link TextDelta}, {@link ToolCallDelta} and {@link Extra}, then one {@link Finish}, then at most one
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

    /**
     * What the upstream's reply says beyond the neutral model, in OpenAI's Chat Completions terms and as raw JSON,
     * for an API edge that speaks them: fields of the reply ({@code system_fingerprint}, {@code service_tier}), of
     * a choice ({@code logprobs}) and of its message ({@code reasoning_content}, {@code refusal}, {@code audio}).
     * For choice 0 these are the fields the other chunks do not carry; for any other choice (OpenAI's {@code n}),
     * which the other chunks never carry, they are all of them ({@code content}, {@code finish_reason}...).
     * <p>
     * Adapters emit one only when there is such a field, ahead of the chunks read from the same upstream event;
     * {@code withNext} says the chunk that follows was read from that event, so that an edge may write the two as
     * one. Reply fields are the values that are new or changed: each replaces an earlier one of its name.
     *
     * @param choice the index of the choice, 0 unless the caller asked for several
     * @param reply fields of the reply, each set once for the rest of it
     * @param choiceFields fields of the choice, each a piece to add to what came before
     * @param message fields of the choice's message (a stream's {@code delta}), each a piece to add
     */
    record Extra(int choice, JsonFields reply, JsonFields choiceFields, JsonFields message, boolean withNext)
            implements ChatChunk {

        public Extra {
            reply = reply == null ? JsonFields.EMPTY : reply;
            choiceFields = choiceFields == null ? JsonFields.EMPTY : choiceFields;
            message = message == null ? JsonFields.EMPTY : message;
        }

        /** Whether it carries anything but reply fields: part of the answer, rather than facts about it. */
        public boolean hasContent() {
            return choice != 0 || !choiceFields.isEmpty() || !message.isEmpty();
        }
    }

    /**
     * @param details the usage's fields that the neutral model does not model (OpenAI's
     *        {@code prompt_tokens_details}, {@code completion_tokens_details}), as raw JSON
     */
    record Usage(int promptTokens, int completionTokens, JsonFields details) implements ChatChunk {

        public Usage {
            details = details == null ? JsonFields.EMPTY : details;
        }

        public Usage(int promptTokens, int completionTokens) {
            this(promptTokens, completionTokens, JsonFields.EMPTY);
        }

        public int totalTokens() {
            return promptTokens + completionTokens;
        }
    }

    /** @param stopSequence which of the request's stop sequences ended the reply, when the provider said so */
    record Finish(FinishReason reason, String stopSequence) implements ChatChunk {

        public Finish(FinishReason reason) {
            this(reason, null);
        }
    }
}
