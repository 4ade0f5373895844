package dev.sluice.gateway.provider.http;

import java.time.Clock;
import java.time.Duration;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.provider.ProviderClient;
import dev.sluice.gateway.provider.ProviderProperties;
import dev.sluice.gateway.provider.UpstreamCall;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientResponse;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.json.JsonMapper;

/**
 * The client of every HTTP provider: POSTs a JSON request and reads the reply as neutral chunks, failures typed by
 * {@link UpstreamFailures}. What differs between wire protocols comes from a {@link WireProtocol}. A call whose
 * caller streams gets the server-sent events of a streamed reply ({@link EventStreamDecoder}); any other call asks
 * for one whole JSON reply ({@link ReplyBodyDecoder}), read once rather than as an event per token.
 * <p>
 * Reactor Netty's {@link HttpClient} itself, without WebClient and Spring's codecs: the body is read from the
 * network buffers as they arrive, each released by Reactor Netty once read. One pooled, non-blocking client per
 * provider, built once: at most {@code maxConcurrency} connections, at most {@code maxQueue} calls waiting up to
 * {@code maxQueueWait} for one, the connect timeout on the socket and the idle timeout as the socket's read timeout
 * (no timer per chunk). A whole reply says nothing until it is complete, so there the read timeout is the total
 * timeout. The first-token and total deadlines belong to routing. Cancelling a call closes its connection.
 */
public final class HttpProviderClient implements ProviderClient, Disposable {

    /** Upstreams and their load balancers drop idle keep-alive connections; retire ours before they do. */
    private static final Duration MAX_IDLE = Duration.ofSeconds(20);
    /** Renewing connections now and then follows DNS changes of the upstream. */
    private static final Duration MAX_LIFE = Duration.ofMinutes(5);
    private static final Duration EVICTION_INTERVAL = Duration.ofSeconds(30);

    private final ConnectionProvider connections;
    private final HttpClient http;
    private final WireProtocol protocol;
    private final JsonMapper json;
    private final UpstreamFailures failures;
    private final Duration total;

    public HttpProviderClient(String name, ProviderProperties properties, JsonMapper json, WireProtocol protocol) {
        ProviderProperties.Timeouts timeouts = properties.timeouts();
        // A zero wait would mean "wait forever" to the pool; to us it means "do not queue".
        boolean queues = !properties.maxQueueWait().isZero();
        this.connections = ConnectionProvider.builder("sluice-" + name)
                .maxConnections(properties.maxConcurrency())
                .pendingAcquireMaxCount(queues ? properties.maxQueue() : 0)
                .pendingAcquireTimeout(properties.maxQueueWait())
                .maxIdleTime(MAX_IDLE)
                .maxLifeTime(MAX_LIFE)
                .evictInBackground(EVICTION_INTERVAL)
                .build();
        this.http = HttpClient.create(connections)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeouts.connect().toMillis()))
                // Reactor Netty's response timeout is the longest silence between two reads of a response.
                .responseTimeout(timeouts.idle());
        this.protocol = protocol;
        this.json = json;
        this.failures = new UpstreamFailures(json, timeouts, Clock.systemUTC());
        this.total = timeouts.total();
    }

    @Override
    public Flux<ChatChunk> stream(UpstreamCall call) {
        boolean streamed = call.streamed();
        // Deferred so that a request the protocol cannot encode fails as a signal, at subscription.
        return Flux.defer(() -> {
                    byte[] body = json.writeValueAsBytes(protocol.body().apply(call));
                    return http.post()
                            .uri(protocol.endpoint().apply(call))
                            .send((request, outbound) -> {
                                HttpHeaders headers = request.requestHeaders();
                                headers.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
                                headers.set(HttpHeaderNames.ACCEPT, streamed ? HttpHeaderValues.TEXT_EVENT_STREAM
                                        : HttpHeaderValues.APPLICATION_JSON);
                                headers.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
                                protocol.headers().add(call.apiKey(), headers::set);
                                if (!streamed) {
                                    request.responseTimeout(total);
                                }
                                return outbound.sendObject(Unpooled.wrappedBuffer(body));
                            })
                            .response((response, content) -> reply(response, content, call));
                })
                .onErrorMap(failure -> failures.beforeReply(failure, streamed));
    }

    private Flux<ChatChunk> reply(HttpClientResponse response, ByteBufFlux content, UpstreamCall call) {
        int status = response.status().code();
        if (status < 200 || status > 299) {
            return rejection(status, response.responseHeaders(), content, call.apiKey());
        }
        if (call.streamed()) {
            return EventStreamDecoder.decode(content, protocol.readers())
                    .onErrorMap(failure -> failures.duringReply(failure, true));
        }
        int announced = response.responseHeaders().getInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        return ReplyBodyDecoder.decode(content, announced, protocol.readers())
                .onErrorMap(failure -> failures.duringReply(failure, false));
    }

    /** Reads the start of an error reply and fails with what it says. */
    private Flux<ChatChunk> rejection(int status, HttpHeaders headers, ByteBufFlux content, String apiKey) {
        BodyBytes head = new BodyBytes(UpstreamFailures.MAX_ERROR_BODY_BYTES, 0);
        // Past the limit the rest is not read: the connection is closed rather than drained.
        return content.takeWhile(head::appendUntilFull)
                .then()
                // The status alone still says what happened when the body cannot be read.
                .onErrorResume(e -> Mono.empty())
                .thenMany(Flux.error(() -> failures.fromStatus(status, headers, head.text(), apiKey)));
    }

    @Override
    public void dispose() {
        connections.dispose();
    }

    @Override
    public boolean isDisposed() {
        return connections.isDisposed();
    }
}
