package dev.sluice.gateway.provider.http;

import java.util.List;
import java.util.Set;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.ContentPart;
import dev.sluice.gateway.llm.JsonFields;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.provider.UpstreamException;

/**
 * What of a request only an OpenAI-compatible provider takes, as it came: the parameters, message fields and content
 * parts the neutral model does not model, and more than one choice. A provider of another protocol (Anthropic,
 * Gemini, the demo simulator) refuses them by name rather than drop them, since the reply would then answer another
 * request than the caller's.
 * <p>
 * Two kinds are left out instead, as they never shape a reply: the labels OpenAI files a request under
 * ({@link #LABELS}), and the fields of earlier assistant messages (an earlier reply's {@code refusal},
 * {@code annotations} or {@code reasoning_content}, which clients send back as they got them): what a model wrote,
 * which no other protocol has a place for.
 */
public final class OpenAiOnly {

    /** Request fields that name, file or bill a request for OpenAI's own records, and change nothing of the reply. */
    static final Set<String> LABELS = Set.of("metadata", "store", "safety_identifier", "prompt_cache_key");

    private OpenAiOnly() {
    }

    /**
     * @param protocol who refuses, for the message: "Anthropic's Messages API"
     * @throws UpstreamException.Unsupported naming the first field the request has of those
     */
    public static void refuse(ChatRequest request, String protocol) {
        JsonFields parameters = request.passThrough().without(LABELS);
        if (!parameters.isEmpty()) {
            String name = parameters.firstName();
            throw unsupported(name, protocol + " has no '" + name + "'");
        }
        if (request.reply().choiceCount() > 1) {
            throw unsupported("n", protocol + " makes one reply per request");
        }
        List<ChatMessage> messages = request.messages();
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage message = messages.get(i);
            if (message.role() != Role.ASSISTANT && !message.extra().isEmpty()) {
                String name = message.extra().firstName();
                throw unsupported("messages[" + i + "]." + name, protocol + " has no such message field");
            }
            List<ContentPart> parts = message.parts();
            for (int j = 0; j < parts.size(); j++) {
                if (parts.get(j) instanceof ContentPart.Raw raw) {
                    throw unsupported("messages[" + i + "].content[" + j + "]", protocol + " takes text and image"
                            + " parts only (this is '" + raw.type() + "'" + (raw.text() != null
                            ? ", with fields beyond type and text" : "") + ")");
                }
            }
        }
    }

    /** Where {@code message} is in {@code request}, as a field name: {@code messages[2]}. */
    public static String path(ChatRequest request, ChatMessage message) {
        List<ChatMessage> messages = request.messages();
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i) == message) {
                return "messages[" + i + "]";
            }
        }
        return "messages";
    }

    /** A refusal of {@code parameter}, the message saying so and where the request would be taken. */
    public static UpstreamException.Unsupported unsupported(String parameter, String why) {
        return new UpstreamException.Unsupported(parameter, parameter + ": " + why
                + "; an OpenAI-compatible provider would take it as it is");
    }
}
