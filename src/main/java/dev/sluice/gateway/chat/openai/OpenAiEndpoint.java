package dev.sluice.gateway.chat.openai;

import java.time.Instant;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.auth.EndUsers;
import dev.sluice.gateway.cache.CacheDirectives;
import dev.sluice.gateway.chat.ChatCall;
import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.chat.ChatProperties;
import dev.sluice.gateway.llm.ChatReply;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.chat.ChatService;
import dev.sluice.gateway.chat.ChatStreams;
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

/** The OpenAI-compatible edge: {@code POST /v1/chat/completions} and {@code GET /v1/models}. */
@Configuration(proxyBeanMethods = false)
class OpenAiEndpoint {

    private final ChatService chat;
    private final ModelCatalog models;
    private final ChatProperties properties;
    private final JsonMapper json;
    private final JsonBody body;
    private final EndUsers endUsers;
    private final long startedAt = Instant.now().getEpochSecond();

    OpenAiEndpoint(ChatService chat, ModelCatalog models, ChatProperties properties, JsonMapper json, JsonBody body,
            EndUsers endUsers) {
        this.endUsers = endUsers;
        this.chat = chat;
        this.models = models;
        this.properties = properties;
        this.json = json;
        this.body = body;
    }

    @Bean
    RouterFunction<ServerResponse> openAiRoutes() {
        return RouterFunctions.route()
                .POST("/v1/chat/completions", this::chatCompletions)
                .GET("/v1/models", this::listModels)
                .add(MethodNotAllowed.otherThan(HttpMethod.POST, "/v1/chat/completions"))
                .build();
    }

    private Mono<ServerResponse> chatCompletions(ServerRequest request) {
        return body.read(request, ChatCompletionRequest.class).zipWith(Caller.current().defaultIfEmpty(Caller.ANONYMOUS))
                .flatMap(both -> {
                    ChatCompletionRequest wire = both.getT1();
                    ChatRequest chatRequest = ChatCompletionRequestReader.read(wire);
                    CacheDirectives cache = CacheDirectives.parse(request.headers().header(HttpHeaders.CACHE_CONTROL));
                    boolean includeUsage = wire.streamOptions() != null && Boolean.TRUE.equals(wire.streamOptions().includeUsage());
                    ChatCompletionEncoder encoder = new ChatCompletionEncoder(chatRequest.model(), includeUsage, json);
                    ChatCall call = new ChatCall(both.getT2(), chatRequest, cache, null,
                            endUsers.of(request.headers().asHttpHeaders(), chatRequest.user()));
                    if (Boolean.TRUE.equals(wire.stream())) {
                        Flux<ChatChunk> chunks = chat.stream(call);
                        ChatStreams.reportRouting(request.exchange(), call.tally());
                        return stream(chunks, encoder);
                    }
                    Mono<ChatReply> whole = chat.reply(call);
                    ChatStreams.reportRouting(request.exchange(), call.tally());
                    return reply(whole, encoder);
                });
    }

    private Mono<ServerResponse> stream(Flux<ChatChunk> chunks, ChatCompletionEncoder encoder) {
        return ChatStreams.respond(chunks, encoder, properties.heartbeat(), json);
    }

    private Mono<ServerResponse> reply(Mono<ChatReply> whole, ChatCompletionEncoder encoder) {
        return whole.flatMap(reply -> ChatStreams.reply(encoder.completion(reply), json));
    }

    private Mono<ServerResponse> listModels(ServerRequest request) {
        return models.modelsForCaller().flatMap(entries -> ServerResponse.ok()
                .bodyValue(new ChatCompletionWire.ModelList("list", entries.stream().map(this::model).toList())));
    }

    private ChatCompletionWire.Model model(ModelCatalog.ModelEntry entry) {
        return new ChatCompletionWire.Model(entry.id(), "model", startedAt, entry.ownedBy(),
                entry.simulated() ? ModelCatalog.SIMULATOR_DESCRIPTION : null);
    }
}
