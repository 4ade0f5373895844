package dev.sluice.gateway.provider.http;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.resources.LoopResources;

/**
 * A fake upstream on a real socket that speaks whatever wire protocol its replies are recorded in: each
 * POST, to any path, takes the next queued {@link Reply} and replays it, one flushed write per event.
 * Records what it was sent; counts replies written to their end and replies the client went away from.
 */
public final class FakeEventServer implements AutoCloseable {

    private static final Reply NOTHING_QUEUED = Reply.status(500, "{\"error\":{\"message\":\"no reply queued\"}}");

    private final LoopResources loops;
    private final DisposableServer server;
    private final Queue<Reply> replies = new ConcurrentLinkedQueue<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger completed = new AtomicInteger();
    private final AtomicInteger cancelled = new AtomicInteger();

    /**
     * One request as it arrived.
     *
     * @param uri path and query
     * @param headers by lower-case name, the first value of each
     */
    public record Received(String uri, Map<String, String> headers, String body) {
    }

    private FakeEventServer() {
        // Its own event loops: the client under test does not share threads with its upstream.
        this.loops = LoopResources.create("fake-events", 1, true);
        this.server = HttpServer.create().host("127.0.0.1").port(0).runOn(loops)
                // GET answers an empty model list, for the gateway's status probes.
                .route(routes -> routes.post("/**", this::reply)
                        .get("/**", (request, response) -> response.header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                                .sendString(Mono.just("{\"object\":\"list\",\"data\":[],\"models\":[]}"))))
                .bindNow(Duration.ofSeconds(10));
    }

    public static FakeEventServer start() {
        return new FakeEventServer();
    }

    /** {@code http://127.0.0.1:<port>}; any path below it answers. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    /** Replies for the next requests, in order; once they are used up, requests get a 500. */
    public FakeEventServer enqueue(Reply... next) {
        replies.addAll(List.of(next));
        return this;
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    public int requests() {
        return received.size();
    }

    /** Successful replies written to their end. */
    public int completedStreams() {
        return completed.get();
    }

    /** Successful replies whose client went away before their end. */
    public int cancelledStreams() {
        return cancelled.get();
    }

    public void reset() {
        replies.clear();
        received.clear();
        completed.set(0);
        cancelled.set(0);
    }

    @Override
    public void close() {
        server.dispose();
        loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(10));
    }

    private Publisher<Void> reply(HttpServerRequest request, HttpServerResponse response) {
        Map<String, String> headers = new LinkedHashMap<>();
        request.requestHeaders().forEach(header -> headers.putIfAbsent(header.getKey().toLowerCase(), header.getValue()));
        return request.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("").flatMap(body -> {
            received.add(new Received(request.uri(), headers, body));
            Reply reply = replies.poll();
            return send(reply != null ? reply : NOTHING_QUEUED, response);
        });
    }

    private Mono<Void> send(Reply reply, HttpServerResponse response) {
        // Each reply counts once: completed, or cancelled (a drop counts as neither).
        AtomicBoolean counted = new AtomicBoolean();
        reply.headers.forEach(response::header);
        if (reply.status != 200) {
            return response.status(HttpResponseStatus.valueOf(reply.status))
                    .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .sendString(Mono.just(reply.errorBody))
                    .then();
        }
        int count = reply.cutAfter < 0 ? reply.events.size() : reply.cutAfter;
        Flux<byte[]> events = Flux.fromIterable(reply.events.subList(0, count));
        if (!reply.every.isZero()) {
            events = events.delayElements(reply.every);
        }
        if (reply.cutAfter >= 0 && !reply.drop) {
            events = events.concatWith(Flux.never());
        }
        Mono<Void> sent = response.status(200)
                .header(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
                .sendHeaders()
                // Cancel reaches here when the client closes the socket.
                .send(events.map(Unpooled::wrappedBuffer).doOnCancel(() -> count(counted, cancelled)), buffer -> true)
                .then();
        if (reply.drop) {
            // A FIN mid-body: what was written still arrives.
            sent = sent.then(Mono.fromRunnable(() -> {
                counted.set(true);
                response.withConnection(connection -> connection.channel().close());
            }));
        }
        return sent
                .doOnSuccess(done -> count(counted, completed))
                .doOnCancel(() -> count(counted, cancelled))
                // A failed write means the client went away mid-reply.
                .doOnError(e -> count(counted, cancelled))
                .onErrorResume(e -> Mono.empty());
    }

    private static void count(AtomicBoolean counted, AtomicInteger counter) {
        if (counted.compareAndSet(false, true)) {
            counter.incrementAndGet();
        }
    }

    /** What the fake answers one request with. Immutable. */
    public static final class Reply {

        private final int status;
        private final String errorBody;
        private final List<byte[]> events;
        private final Duration every;
        private final int cutAfter;
        private final boolean drop;
        private final Map<String, String> headers;

        private Reply(int status, String errorBody, List<byte[]> events, Duration every, int cutAfter, boolean drop,
                Map<String, String> headers) {
            this.status = status;
            this.errorBody = errorBody;
            this.events = events;
            this.every = every;
            this.cutAfter = cutAfter;
            this.drop = drop;
            this.headers = headers;
        }

        /** 200 with these recorded server-sent events, each written on its own. */
        public static Reply events(byte[] sse) {
            return new Reply(200, null, split(sse), Duration.ZERO, -1, false, Map.of());
        }

        /** This status at once, with this JSON body. */
        public static Reply status(int status, String jsonBody) {
            return new Reply(status, jsonBody, List.of(), Duration.ZERO, -1, false, Map.of());
        }

        /** Each event after this pause (the first one too). */
        public Reply every(Duration pause) {
            return new Reply(status, errorBody, events, pause, cutAfter, drop, headers);
        }

        /** The first {@code count} events, then the connection is closed mid-body. */
        public Reply dropAfter(int count) {
            return new Reply(status, errorBody, events, every, count, true, headers);
        }

        /** The first {@code count} events, then silence with the connection open. */
        public Reply stallAfter(int count) {
            return new Reply(status, errorBody, events, every, count, false, headers);
        }

        public Reply header(String name, String value) {
            Map<String, String> more = new LinkedHashMap<>(headers);
            more.put(name, value);
            return new Reply(status, errorBody, events, every, cutAfter, drop, Map.copyOf(more));
        }

        /** Cuts after each blank line, LF or CRLF, so that each event is one write. */
        private static List<byte[]> split(byte[] sse) {
            List<byte[]> events = new ArrayList<>();
            int eventStart = 0;
            int lineStart = 0;
            for (int i = 0; i < sse.length; i++) {
                if (sse[i] == '\n') {
                    boolean blank = i == lineStart || (i == lineStart + 1 && sse[lineStart] == '\r');
                    lineStart = i + 1;
                    if (blank) {
                        events.add(Arrays.copyOfRange(sse, eventStart, lineStart));
                        eventStart = lineStart;
                    }
                }
            }
            if (eventStart < sse.length) {
                events.add(Arrays.copyOfRange(sse, eventStart, sse.length));
            }
            return List.copyOf(events);
        }
    }
}
