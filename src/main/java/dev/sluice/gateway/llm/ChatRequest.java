package dev.sluice.gateway.llm;

import java.util.List;

/**
 * A chat request in Sluice's own terms, independent of any provider's wire format.
 *
 * @param model the alias or {@code provider/model} the caller asked for
 * @param user who the caller's end user is, for the provider's abuse tracking; {@code null} if not said
 * @param passThrough the request's parameters that the neutral model does not model (OpenAI's {@code logprobs},
 *        {@code prediction}, {@code metadata}, any field OpenAI adds next...), as the caller wrote them: an
 *        OpenAI-compatible provider is sent them unchanged, and a provider of another protocol refuses them by name
 */
public record ChatRequest(
        String model,
        List<ChatMessage> messages,
        Sampling sampling,
        ReplyOptions reply,
        ToolUse toolUse,
        String user,
        JsonFields passThrough) {

    public ChatRequest {
        messages = List.copyOf(messages);
        sampling = sampling == null ? Sampling.DEFAULTS : sampling;
        reply = reply == null ? ReplyOptions.DEFAULTS : reply;
        toolUse = toolUse == null ? ToolUse.NONE : toolUse;
        passThrough = passThrough == null ? JsonFields.EMPTY : passThrough;
    }

    /** A plain request: these messages to this model, everything else left to the provider. */
    public static ChatRequest of(String model, List<ChatMessage> messages) {
        return new ChatRequest(model, messages, null, null, null, null, null);
    }

    public ChatRequest withMessages(List<ChatMessage> newMessages) {
        return new ChatRequest(model, newMessages, sampling, reply, toolUse, user, passThrough);
    }

    /** The same request with another reply cap, under the name the caller gave it. */
    public ChatRequest withMaxTokens(Integer newMaxTokens) {
        return new ChatRequest(model, messages, sampling, reply.withMaxTokens(newMaxTokens), toolUse, user, passThrough);
    }

    public ChatRequest withModel(String newModel) {
        return new ChatRequest(newModel, messages, sampling, reply, toolUse, user, passThrough);
    }
}
