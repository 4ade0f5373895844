package dev.sluice.gateway.chat;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatReply;
import dev.sluice.gateway.llm.ChatRequest;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.sluice.gateway.agent.AgentCatalog;
import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.auth.EndUsers;
import dev.sluice.gateway.cache.CacheDirectives;
import dev.sluice.gateway.conversation.Conversations;
import dev.sluice.gateway.routing.ModelCatalog;
import dev.sluice.gateway.web.JsonBody;
import dev.sluice.gateway.web.MethodNotAllowed;
import dev.sluice.gateway.web.Page;
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

/** The native edge for the browser frontend: {@code POST /api/v1/chat} and {@code GET /api/v1/models}. */
@Configuration(proxyBeanMethods = false)
class NativeChatEndpoint {

    private final ChatService chat;
    private final AgentCatalog agents;
    private final ModelCatalog models;
    private final ChatProperties properties;
    private final JsonMapper json;
    private final Conversations conversations;
    private final JsonBody body;
    private final EndUsers endUsers;

    NativeChatEndpoint(ChatService chat, AgentCatalog agents, ModelCatalog models, ChatProperties properties, JsonMapper json,
            Conversations conversations, JsonBody body, EndUsers endUsers) {
        this.endUsers = endUsers;
        this.conversations = conversations;
        this.chat = chat;
        this.agents = agents;
        this.models = models;
        this.properties = properties;
        this.json = json;
        this.body = body;
    }

    @Bean
    RouterFunction<ServerResponse> nativeChatRoutes() {
        return RouterFunctions.route()
                .POST("/api/v1/chat", this::chat)
                .GET("/api/v1/models", this::listModels)
                .add(MethodNotAllowed.otherThan(HttpMethod.POST, "/api/v1/chat"))
                .build();
    }

    /**
     * Checks the request, then starts a turn in the conversation (a new one without {@code conversation_id}),
     * whose latest messages go ahead of the new ones. The turn is the chat's: {@link ChatService} offers the
     * conversation and the caller's messages once the request is known to be servable, and the reply when it ends.
     */
    private Mono<ServerResponse> chat(ServerRequest request) {
        return body.read(request, NativeChatRequest.class).zipWith(Caller.current().defaultIfEmpty(Caller.ANONYMOUS))
                .flatMap(both -> {
                    NativeChatRequest wire = both.getT1();
                    Caller caller = both.getT2();
                    // Checked before any lookup, so that a bad request is a 400 whatever its conversation.
                    ChatRequest asSent = NativeChatReader.read(wire, agents);
                    String endUser = endUsers.of(request.headers().asHttpHeaders(), null); // the native body has no user
                    CacheDirectives cache = CacheDirectives.parse(request.headers().header(HttpHeaders.CACHE_CONTROL));
                    List<ChatMessage> newMessages = NativeChatReader.newMessages(wire);
                    return conversations.begin(caller, blankToNull(wire.conversationId()), newMessages)
                            .flatMap(turn -> respond(request, wire, new ChatCall(caller, turn.context().isEmpty() ? asSent
                                    : NativeChatReader.read(wire, agents, turn.context()), cache, turn, endUser)));
                });
    }

    private static String blankToNull(String text) {
        return text == null || text.isBlank() ? null : text;
    }

    private Mono<ServerResponse> respond(ServerRequest request, NativeChatRequest wire, ChatCall call) {
        NativeEventEncoder encoder = new NativeEventEncoder(call.turn(), call.tally());
        if (Boolean.FALSE.equals(wire.stream())) {
            Mono<ChatReply> reply = chat.reply(call);
            ChatStreams.reportRouting(request.exchange(), call.tally());
            return reply.flatMap(whole -> ChatStreams.reply(encoder.reply(whole, call.request().model()), json));
        }
        Flux<ChatChunk> chunks = chat.stream(call);
        ChatStreams.reportRouting(request.exchange(), call.tally());
        return ChatStreams.respond(chunks, encoder, properties.heartbeat(), json);
    }

    private Mono<ServerResponse> listModels(ServerRequest request) {
        return models.modelsForCaller().flatMap(entries ->
                ServerResponse.ok().bodyValue(Page.of(entries.stream().map(NativeChatEndpoint::model).toList())));
    }

    private static Map<String, Object> model(ModelCatalog.ModelEntry entry) {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("id", entry.id());
        model.put("owned_by", entry.ownedBy());
        model.put("simulated", entry.simulated());
        if (entry.simulated()) {
            model.put("description", ModelCatalog.SIMULATOR_DESCRIPTION);
        }
        return model;
    }
}
