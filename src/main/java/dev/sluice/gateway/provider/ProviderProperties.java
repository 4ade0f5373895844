package dev.sluice.gateway.provider;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import dev.sluice.gateway.llm.ReplyOptions;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * One upstream ({@code sluice.providers.<name>.*}).
 *
 * @param type wire protocol: openai (any OpenAI-compatible API), anthropic, gemini or demo
 * @param baseUrl base URL of the API, e.g. {@code https://api.groq.com/openai/v1}
 * @param apiKeys keys to authenticate with; requests are spread over them
 * @param models models callers may ask for directly as {@code <name>/<model>}; {@code "*"} allows any
 * @param maxConcurrency most calls in flight to this provider at once
 * @param maxQueue most calls waiting for a free slot
 * @param maxQueueWait longest a call waits for a free slot before it is turned away
 * @param requestsPerMinute request budget per minute, unlimited when unset
 * @param tokensPerMinute token budget per minute, unlimited when unset
 * @param timeouts how long the upstream may stay silent in each phase of a call
 * @param tokenInterval pause between tokens of the demo simulator (demo only)
 * @param replyCapParameter the name a reply cap the caller did not name (a quota's, or one from the native or the
 *        Anthropic API) is sent under: {@code max-tokens}, which every OpenAI-compatible server reads, or
 *        {@code max-completion-tokens}, which OpenAI's reasoning models require (openai only)
 * @param wholeReplies whether a chat whose caller did not ask to stream is asked of this provider as one JSON reply
 *        instead of a stream gathered here (openai only): a third to a half less of the gateway's CPU, and less of the
 *        upstream's, but a whole reply has no first token or gaps to time, so only the connect and total timeouts bound
 *        it, and a silent provider is given up on after {@code total} rather than {@code first-token}
 */
public record ProviderProperties(
        @NotNull ProviderType type,
        URI baseUrl,
        List<String> apiKeys,
        List<String> models,
        @DefaultValue("100") @Positive int maxConcurrency,
        @DefaultValue("1000") @PositiveOrZero int maxQueue,
        @DefaultValue("2s") @NotNull Duration maxQueueWait,
        @Positive Integer requestsPerMinute,
        @Positive Integer tokensPerMinute,
        @DefaultValue @Valid Timeouts timeouts,
        @DefaultValue("40ms") @NotNull Duration tokenInterval,
        @DefaultValue("max-tokens") @NotNull ReplyOptions.CapName replyCapParameter,
        @DefaultValue("false") boolean wholeReplies) {

    public ProviderProperties {
        apiKeys = apiKeys == null ? List.of() : List.copyOf(apiKeys);
        models = models == null ? List.of() : List.copyOf(models);
    }

    /** Whether callers may ask for {@code model} of this provider directly. */
    public boolean allowsDirect(String model) {
        return models.contains("*") || models.contains(model);
    }

    /**
     * @param connect to open a connection
     * @param firstToken from sending the request to the first token of the reply
     * @param idle between two chunks of a reply
     * @param total for the whole reply
     */
    public record Timeouts(
            @DefaultValue("2s") @NotNull Duration connect,
            @DefaultValue("15s") @NotNull Duration firstToken,
            @DefaultValue("30s") @NotNull Duration idle,
            @DefaultValue("300s") @NotNull Duration total) {

        /** For a reply asked for whole: it comes in one piece when it is done, so the first token and the gaps are
         *  timed by the total timeout too. */
        public Timeouts forWholeReply() {
            return new Timeouts(connect, total, total, total);
        }
    }
}
