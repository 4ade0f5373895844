package dev.sluice.gateway.provider.demo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.provider.ProviderClient;
import dev.sluice.gateway.provider.UpstreamCall;
import reactor.core.publisher.Flux;

/**
 * A local token simulator, so that a newcomer can chat without any key. It streams a canned, plausible
 * reply that quotes the last user message, one word at a time at a fixed pace. It is not a language model,
 * and the model lists say so.
 */
public final class DemoProviderClient implements ProviderClient {

    private static final int QUOTE_LIMIT = 120;

    private final Duration tokenInterval;

    public DemoProviderClient(Duration tokenInterval) {
        this.tokenInterval = tokenInterval;
    }

    @Override
    public Flux<ChatChunk> stream(UpstreamCall call) {
        List<String> tokens = tokenize(reply(call.request().messages()));
        Integer maxTokens = call.request().maxTokens();
        int count = maxTokens == null ? tokens.size() : Math.min(maxTokens, tokens.size());
        FinishReason finish = count < tokens.size() ? FinishReason.LENGTH : FinishReason.STOP;
        ChatChunk.Usage usage = new ChatChunk.Usage(estimateTokens(call.request().messages()), count);
        Flux<ChatChunk> text = Flux.interval(tokenInterval)
                .take(count)
                .map(i -> new ChatChunk.TextDelta(tokens.get(i.intValue())));
        return text.concatWith(Flux.just(new ChatChunk.Finish(finish), usage));
    }

    static String reply(List<ChatMessage> messages) {
        String question = lastUserMessage(messages).strip().replaceAll("\\s+", " ");
        if (question.length() > QUOTE_LIMIT) {
            question = question.substring(0, QUOTE_LIMIT) + "…";
        }
        return "Hello! This is Sluice's demo provider, a local simulator rather than a language model. "
                + (question.isEmpty() ? "" : "You said: \"" + question + "\". ")
                + "Streaming, cancellation and the APIs all work as they will with a real provider; "
                + "configure one under sluice.providers to get real answers.";
    }

    private static String lastUserMessage(List<ChatMessage> messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            ChatMessage message = messages.get(i);
            if (message.role() == Role.USER && message.content() != null) {
                return message.content();
            }
        }
        return "";
    }

    /** Splits into words, each keeping its leading space, the way real tokenizers stream text. */
    static List<String> tokenize(String text) {
        List<String> tokens = new ArrayList<>();
        int start = 0;
        for (int i = 1; i < text.length(); i++) {
            if (text.charAt(i) == ' ') {
                tokens.add(text.substring(start, i));
                start = i;
            }
        }
        tokens.add(text.substring(start));
        return tokens;
    }

    /** About four characters a token, the usual rule of thumb for English. */
    private static int estimateTokens(List<ChatMessage> messages) {
        int chars = 0;
        for (ChatMessage message : messages) {
            chars += message.content() == null ? 0 : message.content().length();
        }
        return Math.max(1, chars / 4);
    }
}
