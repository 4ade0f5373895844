package dev.sluice.gateway.chat.anthropic;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.auth.EndUsers;
import dev.sluice.gateway.cache.CacheDirectives;
import dev.sluice.gateway.chat.ChatCall;
import dev.sluice.gateway.chat.ChatProperties;
import dev.sluice.gateway.chat.ChatService;
import dev.sluice.gateway.chat.ChatStreams;
import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatReply;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.TokenEstimate;
import dev.sluice.gateway.routing.ModelCatalog;
import dev.sluice.gateway.web.JsonBody;
import dev.sluice.gateway.web.MethodNotAllowed;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Anthropic Messages edge: {@code POST /v1/messages} and {@code POST /v1/messages/count_tokens}. A chat goes
 * through {@link ChatService} like the OpenAI edge's, so routing, limits, quotas, the cache and the metrics are the
 * same; only the reading and the writing are Anthropic's. The {@code anthropic-version} and {@code anthropic-beta}
 * headers are accepted, whatever they say, and not forwarded: what reaches a provider is the neutral request, in
 * that provider's own protocol and version.
 */
@Configuration(proxyBeanMethods = false)
class AnthropicEndpoint {

    private static final String MESSAGES = "/v1/messages";
    private static final String COUNT_TOKENS = "/v1/messages/count_tokens";

    private final ChatService chat;
    private final ModelCatalog models;
    private final ChatProperties properties;
    private final JsonMapper json;
    private final JsonBody body;
    private final EndUsers endUsers;

    AnthropicEndpoint(ChatService chat, ModelCatalog models, ChatProperties properties, JsonMapper json, JsonBody body,
            EndUsers endUsers) {
        this.endUsers = endUsers;
        this.chat = chat;
        this.models = models;
        this.properties = properties;
        this.json = json;
        this.body = body;
    }

    @Bean
    RouterFunction<ServerResponse> anthropicRoutes() {
        return RouterFunctions.route()
                .POST(MESSAGES, this::messages)
                .POST(COUNT_TOKENS, this::countTokens)
                .add(MethodNotAllowed.otherThan(HttpMethod.POST, MESSAGES))
                .add(MethodNotAllowed.otherThan(HttpMethod.POST, COUNT_TOKENS))
                .build();
    }

    private Mono<ServerResponse> messages(ServerRequest request) {
        return body.read(request, MessagesRequest.class).zipWith(Caller.current().defaultIfEmpty(Caller.ANONYMOUS))
                .flatMap(both -> {
                    MessagesRequest wire = both.getT1();
                    ChatRequest chatRequest = MessagesRequestReader.read(wire);
                    CacheDirectives cache = CacheDirectives.parse(request.headers().header(HttpHeaders.CACHE_CONTROL));
                    MessagesEncoder encoder = new MessagesEncoder(chatRequest, json);
                    ChatCall call = new ChatCall(both.getT2(), chatRequest, cache, null,
                            endUsers.of(request.headers().asHttpHeaders(), chatRequest.user()));
                    if (Boolean.TRUE.equals(wire.stream())) {
                        Flux<ChatChunk> chunks = chat.stream(call);
                        ChatStreams.reportRouting(request.exchange(), call.tally());
                        return ChatStreams.respond(chunks, encoder, properties.heartbeat(), json);
                    }
                    Mono<ChatReply> whole = chat.reply(call);
                    ChatStreams.reportRouting(request.exchange(), call.tally());
                    return whole.flatMap(reply -> ChatStreams.reply(encoder.message(reply), json));
                });
    }

    /**
     * The gateway's own estimate of the input ({@link TokenEstimate}), the one quotas reserve: the providers behind an
     * alias differ, and most have no counting endpoint. The model must exist and be the caller's to use; nothing goes
     * upstream and nothing is charged.
     */
    private Mono<ServerResponse> countTokens(ServerRequest request) {
        return body.read(request, MessagesRequest.class).zipWith(Caller.current().defaultIfEmpty(Caller.ANONYMOUS)).flatMap(both -> {
            ChatRequest chatRequest = MessagesRequestReader.readForCount(both.getT1());
            return models.permit(both.getT2(), models.resolve(chatRequest.model()))
                    .then(ChatStreams.reply(new MessagesWire.TokenCount(TokenEstimate.input(chatRequest)), json));
        });
    }
}
