package dev.sluice.gateway.embedding;

import java.nio.charset.StandardCharsets;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.auth.EndUsers;
import dev.sluice.gateway.cache.CacheStatus;
import dev.sluice.gateway.routing.RoutingHeaders;
import dev.sluice.gateway.web.JsonBody;
import dev.sluice.gateway.web.MethodNotAllowed;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /v1/embeddings}, OpenAI's embeddings API: the reply is {@code {"object":"list","data":[...],
 * "model":<the model asked for>,"usage":{"prompt_tokens":n,"total_tokens":n}}}, its data the provider's (see
 * {@link EmbeddingReply}), with the routing headers of a chat and {@code X-Sluice-Cache: bypass}, as embeddings are
 * never cached.
 */
@Configuration(proxyBeanMethods = false)
class EmbeddingsEndpoint {

    private static final String PATH = "/v1/embeddings";
    private static final byte[] HEAD = "{\"object\":\"list\",\"data\":".getBytes(StandardCharsets.UTF_8);

    private final EmbeddingService embeddings;
    private final EmbeddingsProperties properties;
    private final JsonBody body;
    private final JsonMapper json;
    private final EndUsers endUsers;

    EmbeddingsEndpoint(EmbeddingService embeddings, EmbeddingsProperties properties, JsonBody body, JsonMapper json,
            EndUsers endUsers) {
        this.endUsers = endUsers;
        this.embeddings = embeddings;
        this.properties = properties;
        this.body = body;
        this.json = json;
    }

    @Bean
    RouterFunction<ServerResponse> embeddingsRoutes() {
        return RouterFunctions.route()
                .POST(PATH, this::embeddings)
                .add(MethodNotAllowed.otherThan(HttpMethod.POST, PATH))
                .build();
    }

    private Mono<ServerResponse> embeddings(ServerRequest request) {
        return body.read(request, JsonNode.class).zipWith(Caller.current().defaultIfEmpty(Caller.ANONYMOUS))
                .flatMap(both -> {
                    EmbeddingRequest embeddingRequest = EmbeddingRequestReader.read(both.getT1(), properties.maxInputs());
                    EmbeddingCall call = new EmbeddingCall(both.getT2(), embeddingRequest,
                            endUsers.of(request.headers().asHttpHeaders(), embeddingRequest.user()));
                    reportRouting(request.exchange().getResponse(), call);
                    return embeddings.embed(call).flatMap(reply -> respond(reply, call));
                });
    }

    private Mono<ServerResponse> respond(EmbeddingReply reply, EmbeddingCall call) {
        byte[] tail = (",\"model\":" + json.writeValueAsString(call.model()) + ",\"usage\":{\"prompt_tokens\":"
                + call.promptTokens() + ",\"total_tokens\":" + call.promptTokens() + "}}").getBytes(StandardCharsets.UTF_8);
        BodyInserter<Object, ServerHttpResponse> body = (response, context) -> {
            DataBuffer buffer = response.bufferFactory().allocateBuffer(HEAD.length + reply.length() + tail.length);
            buffer.write(HEAD).write(reply.json(), reply.offset(), reply.length()).write(tail);
            return response.writeWith(Mono.just(buffer));
        };
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).body(body);
    }

    /** Who served, after how many calls, the time in the gateway, and that no cache was asked, as the headers go. */
    private static void reportRouting(ServerHttpResponse response, EmbeddingCall call) {
        response.beforeCommit(() -> {
            RoutingHeaders.write(response.getHeaders(), call);
            response.getHeaders().set(CacheStatus.HEADER, CacheStatus.BYPASS.headerValue());
            return Mono.empty();
        });
    }
}
