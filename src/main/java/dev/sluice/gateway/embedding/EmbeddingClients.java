package dev.sluice.gateway.embedding;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.provider.Provider;
import dev.sluice.gateway.provider.ProviderRegistry;
import dev.sluice.gateway.routing.Router;
import dev.sluice.gateway.routing.Target;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import tools.jackson.databind.json.JsonMapper;

/**
 * The providers that offer embeddings, each with the client of its protocol, built once at startup: OpenAI-compatible
 * ones and Gemini over the provider's own connections, the demo simulator in process. Anthropic offers none. As the
 * router's {@link Router.Calls}, an embeddings call of a target goes to its provider's client.
 */
@Component
class EmbeddingClients implements Router.Calls<EmbeddingRequest, EmbeddingReply> {

    private final Map<String, EmbeddingClient> clients = new HashMap<>();

    EmbeddingClients(ProviderRegistry providers, EmbeddingsProperties properties, JsonMapper json) {
        int maxReplyBytes = properties.maxReplyByteCount();
        Supplier<GatewayException> tooLarge = () -> new GatewayException(ErrorCode.REPLY_TOO_LARGE, "The provider's "
                + "embeddings are larger than sluice.embeddings.max-reply-bytes (" + maxReplyBytes + " bytes); ask for "
                + "fewer inputs, fewer dimensions or encoding_format base64");
        for (Provider provider : providers.all()) {
            EmbeddingClient client = switch (provider.properties().type()) {
                case OPENAI -> new OpenAiEmbeddings(provider.baseUrl(), provider.jsonClient(), json, maxReplyBytes, tooLarge);
                case GEMINI -> new GeminiEmbeddings(provider.baseUrl(), provider.jsonClient(), json, maxReplyBytes, tooLarge);
                case DEMO -> new DemoEmbeddings(json);
                case ANTHROPIC -> null;
            };
            if (client != null) {
                clients.put(provider.name(), client);
            }
        }
    }

    /** Whether the target's provider offers embeddings. */
    boolean offers(Target target) {
        return clients.containsKey(target.provider());
    }

    @Override
    public Flux<EmbeddingReply> call(Provider provider, Target target, EmbeddingRequest request, String apiKey) {
        return clients.get(provider.name()).embed(target.model(), request, apiKey).flux();
    }

    @Override
    public ChatChunk.Usage usage(EmbeddingReply reply) {
        return reply.promptTokens() == null ? null : new ChatChunk.Usage(reply.promptTokens(), 0);
    }
}
