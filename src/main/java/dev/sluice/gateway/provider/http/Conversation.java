package dev.sluice.gateway.provider.http;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.Role;

/**
 * A conversation in the shape the Messages and Gemini APIs require: system messages set apart, and turns
 * that alternate between user and assistant. Tool results are user turns there, and consecutive
 * messages of one side merge into one turn (parallel tool results into one, for instance).
 *
 * @param system the text of the system messages, in order, blank ones left out
 * @param turns the turns, each with the parts of its messages in order; none is empty
 * @param <P> a protocol's content part
 */
public record Conversation<P>(List<String> system, List<Turn<P>> turns) {

    /** @param assistant whether the assistant speaks, else the user or the results of tools */
    public record Turn<P>(boolean assistant, List<P> parts) {
    }

    /**
     * Shapes {@code messages}, with {@code parts} giving the parts of each message that is not a system
     * message, called in order (so it may remember earlier messages); a message without parts is left out.
     */
    public static <P> Conversation<P> of(List<ChatMessage> messages, Function<ChatMessage, List<P>> parts) {
        List<String> system = new ArrayList<>(1);
        List<Turn<P>> turns = new ArrayList<>(messages.size());
        for (ChatMessage message : messages) {
            if (message.role() == Role.SYSTEM) {
                if (message.content() != null && !message.content().isBlank()) {
                    system.add(message.content());
                }
                continue;
            }
            List<P> added = parts.apply(message);
            boolean assistant = message.role() == Role.ASSISTANT;
            Turn<P> last = turns.isEmpty() ? null : turns.get(turns.size() - 1);
            if (last != null && last.assistant() == assistant) {
                last.parts().addAll(added);
            }
            else if (!added.isEmpty()) {
                turns.add(new Turn<>(assistant, new ArrayList<>(added)));
            }
        }
        return new Conversation<>(system, turns);
    }
}
