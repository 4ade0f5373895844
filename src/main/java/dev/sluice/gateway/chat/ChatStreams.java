package dev.sluice.gateway.chat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import dev.sluice.gateway.cache.CacheStatus;
import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.routing.RoutingHeaders;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the chat APIs share when they answer: event streams and JSON replies written straight into the response's
 * buffers (no codec between), heartbeats, and the routing headers.
 */
public final class ChatStreams {

    /** What Spring's SSE writer declared. */
    private static final MediaType EVENT_STREAM = new MediaType(MediaType.TEXT_EVENT_STREAM, StandardCharsets.UTF_8);
    /** Room for a typical reply; the buffer grows as needed. */
    private static final int REPLY_CAPACITY = 1024;

    private ChatStreams() {
    }

    /**
     * Answers with an event stream of the reply's chunks, in the events {@code encoder} makes.
     * <p>
     * Nothing is sent before the first event, so a failure before it (no provider, a timeout waiting for
     * the first token) still gets a plain HTTP error status. After it the status line is gone: a failure
     * becomes the encoder's error event that ends the stream, because a stream must never look finished when
     * it is not; the tokens before it are all written first. Heartbeat comments keep proxies from cutting the
     * stream during the upstream's silences. See {@link EventStream}.
     */
    public static Mono<ServerResponse> respond(Flux<ChatChunk> chunks, EventEncoder encoder, Duration heartbeat,
            JsonMapper json) {
        BodyInserter<Flux<ChatChunk>, ServerHttpResponse> body = (response, context) -> response.writeWith(
                new EventStream(chunks, encoder, response.bufferFactory(), json, loopOf(response), heartbeat));
        return ServerResponse.ok()
                .contentType(EVENT_STREAM)
                .header(HttpHeaders.CACHE_CONTROL, "no-cache")
                .header("X-Accel-Buffering", "no") // nginx: pass each event through at once
                .body(body);
    }

    /** Answers with {@code reply} as JSON, written by Jackson into one buffer of the response. */
    public static Mono<ServerResponse> reply(Object reply, JsonMapper json) {
        BodyInserter<Object, ServerHttpResponse> body = (response, context) -> {
            DataBuffer buffer = response.bufferFactory().allocateBuffer(REPLY_CAPACITY);
            try {
                json.writeValue(buffer.asOutputStream(), reply);
            }
            catch (RuntimeException failure) {
                DataBufferUtils.release(buffer);
                return Mono.error(failure);
            }
            return response.writeWith(Mono.just(buffer));
        };
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).body(body);
    }

    /**
     * The event loop of the response's connection, where its events are written and its heartbeat timed. Outside
     * Reactor Netty (a mock server) one shared executor stands in.
     */
    private static EventExecutor loopOf(ServerHttpResponse response) {
        Object nativeResponse;
        try {
            nativeResponse = ServerHttpResponseDecorator.getNativeResponse(response);
        }
        catch (IllegalArgumentException notAbstract) {
            nativeResponse = null;
        }
        return nativeResponse instanceof Connection connection ? connection.channel().eventLoop() : GlobalEventExecutor.INSTANCE;
    }

    /**
     * Adds who served the request, after how many calls, and the time spent in the gateway itself
     * ({@link RoutingHeaders}), and what the cache did ({@code X-Sluice-Cache}) to the response headers, at the last
     * moment before they are sent. A reply from the cache, or shared with an identical request in flight, names the
     * provider that made it, after 0 calls of this request's own.
     */
    public static void reportRouting(ServerWebExchange exchange, Tally tally) {
        ServerHttpResponse response = exchange.getResponse();
        response.beforeCommit(() -> {
            HttpHeaders headers = response.getHeaders();
            RoutingHeaders.write(headers, tally);
            String elsewhere;
            if (tally.target() == null && (elsewhere = tally.providerElsewhere()) != null) {
                headers.set(RoutingHeaders.PROVIDER, elsewhere);
                headers.set(RoutingHeaders.ATTEMPTS, "0");
            }
            CacheStatus status = tally.cacheStatus();
            if (status != null) {
                headers.set(CacheStatus.HEADER, status.headerValue());
            }
            return Mono.empty();
        });
    }
}
