package dev.sluice.gateway.provider.http;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.provider.JsonClient;
import dev.sluice.gateway.provider.ProviderClient;
import dev.sluice.gateway.provider.ProviderProperties;
import dev.sluice.gateway.provider.UpstreamCall;
import dev.sluice.gateway.provider.UpstreamException.StreamBroken;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpStatusClass;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientResponse;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;
import tools.jackson.databind.json.JsonMapper;

/**
 * The client of every HTTP provider: POSTs a JSON request and streams the server-sent events of the
 * reply as neutral chunks, failures typed by {@link UpstreamFailures}. A chat whose caller takes the reply whole is
 * asked for whole when the provider says {@code whole-replies} and its protocol can ask for one: one JSON document
 * costs the upstream and this client less than the same reply as events. What differs between wire
 * protocols comes from a {@link WireProtocol}. Calls whose reply is one JSON document (embeddings) go
 * through the same connections, keys and failure typing ({@link JsonClient}).
 * <p>
 * Reactor Netty's client, used directly: the body's buffers go straight to the {@link EventStreamDecoder}.
 * Pooled and non-blocking, built once per provider, with one lane per event loop of the HTTP server: a call
 * takes its connection from the lane of the loop it runs on, so that the caller's request, the upstream's
 * reply and the caller's response are all handled by one thread. (One pool for all loops would hand a call a
 * connection of another loop about as often as not, and each such call wakes a second thread twice.) Each lane
 * holds at most {@code maxConcurrency} connections, with at most {@code maxQueue} calls waiting up to
 * {@code maxQueueWait} for one; routing's bulkhead bounds the provider's calls across lanes. A call from a thread
 * that is no event loop uses the first lane. The connect timeout is on the socket and the idle timeout is the
 * socket's read timeout (no timer per chunk), except for a reply asked for whole, which is silent until it is done.
 * The first-token and total deadlines belong to routing. Cancelling a stream closes its connection.
 */
public final class EventStreamClient implements ProviderClient, JsonClient, Disposable {

    /** Upstreams and their load balancers drop idle keep-alive connections; retire ours before they do. */
    private static final Duration MAX_IDLE = Duration.ofSeconds(20);
    /** Renewing connections now and then follows DNS changes of the upstream. */
    private static final Duration MAX_LIFE = Duration.ofMinutes(5);
    private static final Duration EVICTION_INTERVAL = Duration.ofSeconds(30);
    /** Room for a reply that did not say its length; grown as needed. */
    private static final int REPLY_CAPACITY = 8 * 1024;
    /** The longest chat reply asked for whole: more than a reply past the chat's own size limit takes. */
    private static final int MAX_WHOLE_REPLY_BYTES = 16 << 20;

    private final Lane[] lanes;
    private final WireProtocol protocol;
    private final JsonMapper json;
    private final UpstreamFailures failures;
    private final boolean asksWholeReplies;

    /** @param loops the HTTP server's event loop resources, whose server loops the lanes run on */
    public EventStreamClient(String name, ProviderProperties properties, JsonMapper json, WireProtocol protocol,
            LoopResources loops) {
        List<Lane> built = new ArrayList<>();
        loops.onServer(LoopResources.DEFAULT_NATIVE)
                .forEach(loop -> built.add(new Lane((EventLoop) loop, name + "-" + built.size(), properties)));
        this.lanes = built.toArray(Lane[]::new);
        this.protocol = protocol;
        this.json = json;
        this.failures = new UpstreamFailures(json, properties.timeouts(), Clock.systemUTC());
        this.asksWholeReplies = protocol.wholeReplies() && properties.wholeReplies();
    }

    /** A pool of connections on one event loop, and the client that sends on them. */
    private static final class Lane {

        final EventLoop loop;
        final ConnectionProvider connections;
        final HttpClient.RequestSender posts;

        Lane(EventLoop loop, String name, ProviderProperties properties) {
            ProviderProperties.Timeouts timeouts = properties.timeouts();
            // A zero wait would mean "wait forever" to the pool; to us it means "do not queue".
            boolean queues = !properties.maxQueueWait().isZero();
            this.loop = loop;
            this.connections = ConnectionProvider.builder("sluice-" + name)
                    .maxConnections(properties.maxConcurrency())
                    .pendingAcquireMaxCount(queues ? properties.maxQueue() : 0)
                    .pendingAcquireTimeout(properties.maxQueueWait())
                    .maxIdleTime(MAX_IDLE)
                    .maxLifeTime(MAX_LIFE)
                    .evictInBackground(EVICTION_INTERVAL)
                    .build();
            this.posts = HttpClient.create(connections)
                    .runOn(loop)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeouts.connect().toMillis()))
                    // Reactor Netty's response timeout is the longest silence between two reads of a response.
                    .responseTimeout(timeouts.idle())
                    .post();
        }
    }

    /** The lane of the event loop this runs on, else the first. */
    private HttpClient.RequestSender posts() {
        for (Lane lane : lanes) {
            if (lane.loop.inEventLoop()) {
                return lane.posts;
            }
        }
        return lanes[0].posts;
    }

    @Override
    public boolean asksWholeReplies() {
        return asksWholeReplies;
    }

    @Override
    public Flux<ChatChunk> stream(UpstreamCall call) {
        boolean whole = call.whole();
        // Deferred so that a request the protocol cannot encode fails as a signal, at subscription.
        return Flux.defer(() -> {
            byte[] body = json.writeValueAsBytes(protocol.body().apply(call));
            return posts().uri(protocol.endpoint().apply(call))
                    .send((request, outbound) -> {
                        HttpHeaders headers = request.requestHeaders()
                                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                                .set(HttpHeaderNames.ACCEPT, whole ? HttpHeaderValues.APPLICATION_JSON
                                        : HttpHeaderValues.TEXT_EVENT_STREAM);
                        if (whole) {
                            // A whole reply is silent until it is done; routing's total deadline bounds it instead.
                            request.responseTimeout(null);
                        }
                        protocol.headers().accept(headers, call.apiKey());
                        // One write with its Content-Length; wrapped anew, as a retried request sends it again.
                        return outbound.send(Mono.just(Unpooled.wrappedBuffer(body)));
                    })
                    .response((response, content) -> {
                        if (response.status().codeClass() != HttpStatusClass.SUCCESS) {
                            return rejection(response, content, call.apiKey());
                        }
                        return whole ? wholeReply(response, content)
                                : EventStreamDecoder.decode(content, protocol.readers()).onErrorMap(failures::duringReply);
                    });
        }).onErrorMap(failures::beforeReply);
    }

    /** A reply asked for whole: its one document gathered, then read as one payload, the usage last. */
    private Flux<ChatChunk> wholeReply(HttpClientResponse response, ByteBufFlux content) {
        long length = response.responseHeaders().getInt(HttpHeaderNames.CONTENT_LENGTH, -1);
        if (length > MAX_WHOLE_REPLY_BYTES) {
            return Flux.error(tooLongReply());
        }
        return content.reduceWith(() -> new WholeReply(length, MAX_WHOLE_REPLY_BYTES), WholeReply::add)
                .onErrorMap(failure -> failure instanceof Oversized ? tooLongReply() : failures.duringReply(failure))
                .flatMapIterable(reply -> {
                    ChunkSink chunks = new ChunkSink();
                    protocol.readers().get().read(reply.bytes, 0, reply.length, chunks);
                    if (!chunks.finished()) {
                        throw new StreamBroken("upstream's reply did not say why it finished");
                    }
                    List<ChatChunk> read = new ArrayList<>(chunks.take());
                    if (chunks.usage() != null) {
                        read.add(chunks.usage());
                    }
                    return read;
                });
    }

    private static StreamBroken tooLongReply() {
        return new StreamBroken("upstream's reply is longer than " + MAX_WHOLE_REPLY_BYTES + " bytes");
    }

    @Override
    public Mono<byte[]> post(URI uri, Object body, String apiKey, int maxReplyBytes,
            Supplier<? extends RuntimeException> tooLarge) {
        return Flux.defer(() -> {
                    byte[] request = json.writeValueAsBytes(body);
                    return posts().uri(uri)
                            .send((outgoing, outbound) -> {
                                HttpHeaders headers = outgoing.requestHeaders()
                                        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                                        .set(HttpHeaderNames.ACCEPT, HttpHeaderValues.APPLICATION_JSON);
                                protocol.headers().accept(headers, apiKey);
                                return outbound.send(Mono.just(Unpooled.wrappedBuffer(request)));
                            })
                            .response((response, content) -> {
                                if (response.status().codeClass() != HttpStatusClass.SUCCESS) {
                                    return rejection(response, content, apiKey);
                                }
                                long length = response.responseHeaders().getInt(HttpHeaderNames.CONTENT_LENGTH, -1);
                                if (length > maxReplyBytes) {
                                    return Mono.error(Oversized.INSTANCE);
                                }
                                return content.reduceWith(() -> new WholeReply(length, maxReplyBytes), WholeReply::add)
                                        .onErrorMap(failure -> !(failure instanceof Oversized), failures::duringReply)
                                        .map(WholeReply::bytes);
                            });
                })
                .onErrorMap(failure -> !(failure instanceof Oversized), failures::beforeReply)
                .onErrorMap(Oversized.class, oversized -> tooLarge.get())
                .next();
    }

    /** Reads the start of an error reply and fails with what it says. */
    private <T> Mono<T> rejection(HttpClientResponse response, ByteBufFlux content, String apiKey) {
        ErrorBody head = new ErrorBody();
        return content.takeUntil(head::add)
                // The status alone still says what happened when the body cannot be read.
                .onErrorResume(e -> Mono.empty())
                .then(Mono.error(() -> failures.fromStatus(response.status().code(), response.responseHeaders(),
                        head.text(), apiKey)));
    }

    @Override
    public void dispose() {
        for (Lane lane : lanes) {
            lane.connections.dispose();
        }
    }

    @Override
    public boolean isDisposed() {
        return Arrays.stream(lanes).allMatch(lane -> lane.connections.isDisposed());
    }

    /** A whole reply, gathered piece by piece, refused past its limit. */
    private static final class WholeReply {

        private final int limit;
        private byte[] bytes;
        private int length;

        WholeReply(long declaredLength, int limit) {
            this.limit = limit;
            this.bytes = new byte[declaredLength >= 0 ? (int) declaredLength : Math.min(REPLY_CAPACITY, limit)];
        }

        /** Copies the buffer's bytes, which stay its owner's (Reactor Netty releases each as it is handed over). */
        WholeReply add(ByteBuf piece) {
            int count = piece.readableBytes();
            if (count > limit - length) {
                throw Oversized.INSTANCE; // cancels the read, which closes the connection
            }
            if (count > bytes.length - length) {
                bytes = Arrays.copyOf(bytes, (int) Math.min(limit, Math.max(2L * bytes.length, (long) length + count)));
            }
            piece.readBytes(bytes, length, count);
            length += count;
            return this;
        }

        byte[] bytes() {
            return length == bytes.length ? bytes : Arrays.copyOf(bytes, length);
        }
    }

    /** A reply past its limit; becomes the caller's own error once it has passed the failure typing. */
    private static final class Oversized extends RuntimeException {

        static final Oversized INSTANCE = new Oversized();

        private Oversized() {
            super("reply over its limit", null, false, false);
        }
    }

    /**
     * The first {@link UpstreamFailures#MAX_ERROR_BODY_BYTES} of an error body, copied out of each buffer
     * as it is handed over; the connection is closed rather than drained past them.
     */
    private static final class ErrorBody {

        private final byte[] bytes = new byte[UpstreamFailures.MAX_ERROR_BODY_BYTES];
        private int length;

        /** Takes what fits of {@code buffer}; whether the limit is reached. */
        boolean add(ByteBuf buffer) {
            int count = Math.min(buffer.readableBytes(), bytes.length - length);
            buffer.readBytes(bytes, length, count);
            length += count;
            return length == bytes.length;
        }

        String text() {
            return new String(bytes, 0, length, StandardCharsets.UTF_8);
        }
    }
}
