package dev.sluice.gateway.provider.http;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.provider.ProviderClient;
import dev.sluice.gateway.provider.ProviderProperties;
import dev.sluice.gateway.provider.UpstreamCall;
import io.netty.channel.ChannelOption;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.json.JsonMapper;

/**
 * The client of every HTTP provider: POSTs a JSON request and streams the server-sent events of the
 * reply as neutral chunks, failures typed by {@link UpstreamFailures}. What differs between wire
 * protocols comes from a {@link WireProtocol}.
 * <p>
 * One pooled, non-blocking client per provider, built once: at most {@code maxConcurrency} connections,
 * at most {@code maxQueue} calls waiting up to {@code maxQueueWait} for one, the connect timeout on the
 * socket and the idle timeout as the socket's read timeout (no timer per chunk). The first-token and
 * total deadlines belong to routing. Cancelling a stream closes its connection.
 */
public final class EventStreamClient implements ProviderClient, Disposable {

    /** Upstreams and their load balancers drop idle keep-alive connections; retire ours before they do. */
    private static final Duration MAX_IDLE = Duration.ofSeconds(20);
    /** Renewing connections now and then follows DNS changes of the upstream. */
    private static final Duration MAX_LIFE = Duration.ofMinutes(5);
    private static final Duration EVICTION_INTERVAL = Duration.ofSeconds(30);

    private final ConnectionProvider connections;
    private final WebClient webClient;
    private final WireProtocol protocol;
    private final JsonMapper json;
    private final UpstreamFailures failures;

    public EventStreamClient(String name, ProviderProperties properties, JsonMapper json, WireProtocol protocol) {
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
        HttpClient http = HttpClient.create(connections)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeouts.connect().toMillis()))
                // Reactor Netty's response timeout is the longest silence between two reads of a response.
                .responseTimeout(timeouts.idle());
        this.webClient = WebClient.builder().clientConnector(new ReactorClientHttpConnector(http)).build();
        this.protocol = protocol;
        this.json = json;
        this.failures = new UpstreamFailures(json, timeouts, Clock.systemUTC());
    }

    @Override
    public Flux<ChatChunk> stream(UpstreamCall call) {
        // Deferred so that a request the protocol cannot encode fails as a signal, at subscription.
        return Flux.defer(() -> webClient.post()
                        .uri(protocol.endpoint().apply(call))
                        .contentType(MediaType.APPLICATION_JSON)
                        .accept(MediaType.TEXT_EVENT_STREAM)
                        .headers(headers -> protocol.headers().accept(headers, call.apiKey()))
                        .bodyValue(json.writeValueAsBytes(protocol.body().apply(call)))
                        .exchangeToFlux(response -> response.statusCode().is2xxSuccessful()
                                ? EventStreamDecoder.decode(response.bodyToFlux(DataBuffer.class), protocol.readers())
                                        .onErrorMap(failures::duringReply)
                                : rejection(response, call.apiKey()).flux()))
                .onErrorMap(failures::beforeReply);
    }

    /** Reads the start of an error reply and fails with what it says. */
    private Mono<ChatChunk> rejection(ClientResponse response, String apiKey) {
        int status = response.statusCode().value();
        HttpHeaders headers = response.headers().asHttpHeaders();
        Flux<DataBuffer> head = DataBufferUtils.takeUntilByteCount(response.bodyToFlux(DataBuffer.class),
                UpstreamFailures.MAX_ERROR_BODY_BYTES);
        return DataBufferUtils.join(head)
                .map(buffer -> {
                    try {
                        return buffer.toString(StandardCharsets.UTF_8);
                    }
                    finally {
                        DataBufferUtils.release(buffer);
                    }
                })
                // The status alone still says what happened when the body cannot be read.
                .onErrorResume(e -> Mono.empty())
                .defaultIfEmpty("")
                .flatMap(body -> Mono.error(failures.fromStatus(status, headers, body, apiKey)));
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
