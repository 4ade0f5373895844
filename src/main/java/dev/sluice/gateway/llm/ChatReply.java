package dev.sluice.gateway.llm;

import java.util.ArrayList;
import java.util.List;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A whole reply, assembled from a stream of chunks for callers that did not ask to stream.
 *
 * @param stopSequence which stop sequence ended it, when the provider said so
 * @param extras the stream's {@link ChatChunk.Extra}s, in order, for an API edge that folds them into its whole
 *        reply; empty for nearly every reply
 */
public record ChatReply(String text, List<ToolCall> toolCalls, FinishReason finishReason, String stopSequence,
        ChatChunk.Usage usage, List<ChatChunk.Extra> extras) {

    public ChatReply {
        toolCalls = List.copyOf(toolCalls);
        extras = List.copyOf(extras);
    }

    /**
     * Collects a stream into one reply. A stream that ends without a finish chunk is an error
     * upstream, surfaced by the stream itself, so this only sees complete streams.
     */
    public static Mono<ChatReply> collect(Flux<ChatChunk> chunks) {
        return chunks.collect(Builder::new, Builder::add).map(Builder::build);
    }

    /** A reply being assembled, chunk by chunk, from a stream's serialised signals. */
    public static final class Builder {
        private final StringBuilder text = new StringBuilder();
        private final List<ToolCallBuilder> calls = new ArrayList<>();
        private FinishReason finish = FinishReason.STOP;
        private String stopSequence;
        private ChatChunk.Usage usage;
        private List<ChatChunk.Extra> extras;

        public void add(ChatChunk chunk) {
            if (chunk instanceof ChatChunk.TextDelta delta) {
                text.append(delta.text());
            }
            else if (chunk instanceof ChatChunk.ToolCallDelta delta) {
                while (calls.size() <= delta.index()) {
                    calls.add(new ToolCallBuilder());
                }
                calls.get(delta.index()).add(delta);
            }
            else if (chunk instanceof ChatChunk.Finish f) {
                finish = f.reason();
                stopSequence = f.stopSequence();
            }
            else if (chunk instanceof ChatChunk.Usage u) {
                usage = u;
            }
            else if (chunk instanceof ChatChunk.Extra extra) {
                if (extras == null) {
                    extras = new ArrayList<>();
                }
                extras.add(extra);
            }
        }

        /** The text so far. */
        public String text() {
            return text.toString();
        }

        public ChatReply build() {
            return new ChatReply(text.toString(), calls.stream().map(ToolCallBuilder::build).toList(), finish,
                    stopSequence, usage, extras == null ? List.of() : extras);
        }
    }

    private static final class ToolCallBuilder {
        private String id;
        private String name;
        private final StringBuilder arguments = new StringBuilder();

        void add(ChatChunk.ToolCallDelta delta) {
            if (delta.id() != null) {
                id = delta.id();
            }
            if (delta.name() != null) {
                name = delta.name();
            }
            if (delta.argumentsDelta() != null) {
                arguments.append(delta.argumentsDelta());
            }
        }

        ToolCall build() {
            return new ToolCall(id, name, arguments.toString());
        }
    }
}
