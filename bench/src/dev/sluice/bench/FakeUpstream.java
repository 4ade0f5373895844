package dev.sluice.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.resources.LoopResources;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A scripted OpenAI-compatible chat server on a real socket, for the gateway's tests and the benchmarks.
 *
 * <p>Each chat request takes the next {@linkplain #enqueue queued} {@link Script}, or the default one.
 * Streams are written one flushed chunk per piece, timed on the connection's own event loop, so thousands
 * of concurrent streams cost one timer task per piece and no thread hops. Chunks are prepared once per
 * (script, model) and written as duplicates of shared buffers that are never released.
 *
 * <p>Keys: a key {@linkplain #refuseKeys refused} gets a 401 {@code invalid_api_key}, on chats and on the model list
 * alike, without taking a script; the model list records the key of each request ({@link #modelListKeys()}).
 *
 * <p>Embeddings ({@code POST /embeddings}) are recorded and scripted as chats are; see {@link #embeddings}.
 *
 * <p>Counting: {@link #completedStreams()} and {@link #cancelledStreams()} count successful (status 200)
 * replies, streamed or not, each exactly once; error-status replies and dropped connections count in
 * neither. {@link #openConnections()} and {@link #closedConnections()} count sockets, whatever was sent on them.
 *
 * <p>A cancelled reply whose prompt carries a {@linkplain Stamp#MARKER request id} is also stamped with the instant
 * the fake saw it cancelled ({@link #cancels()}, {@code GET /bench/cancels}), for {@code bench/cancel.sh}.
 */
public final class FakeUpstream implements AutoCloseable {

    private static final int RECORD_LIMIT = 10_000;
    /** A benchmark row's cancels, warm-up included, at up to a thousand a second. */
    private static final int CANCEL_LIMIT = 100_000;
    private static final int PREPARED_LIMIT = 256;
    private static final Predicate<ByteBuf> FLUSH_EACH = b -> true;
    private static final ByteBuf DONE = shared("data: [DONE]\n\n");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final List<String> DEFAULT_MODELS = List.of("fake-model");

    private final LoopResources loops;
    private final DisposableServer server;
    private final Queue<Script> queue = new ConcurrentLinkedQueue<>();
    private volatile Script defaultScript;
    private final AtomicInteger completed = new AtomicInteger();
    private final AtomicInteger cancelled = new AtomicInteger();
    private final AtomicInteger openConnections = new AtomicInteger();
    private final AtomicInteger closedConnections = new AtomicInteger();
    private final Map<PreparedKey, Prepared> prepared = new ConcurrentHashMap<>();
    private final Map<EventLoop, Scheduler> schedulers = new ConcurrentHashMap<>();
    // Keys and bodies share one lock so index i of both lists is the same request, and requests() never
    // runs ahead of them (a test waiting for requests() == 1 can read apiKeys().get(0) at once).
    private final Object recordLock = new Object();
    private final ArrayDeque<String> apiKeys = new ArrayDeque<>();
    private final ArrayDeque<String> bodies = new ArrayDeque<>();
    private final ArrayDeque<String> modelListKeys = new ArrayDeque<>();
    private final ArrayDeque<Stamp> cancels = new ArrayDeque<>();
    private int requests;
    private final Set<String> refusedKeys = ConcurrentHashMap.newKeySet();
    private volatile List<String> modelIds = DEFAULT_MODELS;
    private volatile boolean modelListFails;

    private FakeUpstream(int port, Script defaultScript, int threads) {
        this.defaultScript = defaultScript;
        // Own event loops: in tests the gateway's server and client do not share threads with their upstream.
        this.loops = LoopResources.create("fake-upstream", threads, true);
        this.server = HttpServer.create()
                .host("127.0.0.1")
                .port(port)
                .runOn(loops)
                .option(ChannelOption.SO_BACKLOG, 8192)
                .doOnChannelInit((observer, channel, remote) -> {
                    openConnections.incrementAndGet();
                    channel.closeFuture().addListener(closed -> {
                        openConnections.decrementAndGet();
                        closedConnections.incrementAndGet();
                    });
                })
                .route(routes -> routes
                        .post("/v1/chat/completions", this::chat)
                        .post("/chat/completions", this::chat)
                        .post("/v1/embeddings", this::embeddings)
                        .post("/embeddings", this::embeddings)
                        .get("/v1/models", this::models)
                        .get("/models", this::models)
                        .get("/bench/cancels", this::cancelList))
                .bindNow(Duration.ofSeconds(10));
    }

    /** On 127.0.0.1, a free port, default script {@code Script.tokens(8)}. */
    public static FakeUpstream start() {
        return start(0, Script.tokens(8));
    }

    /** On 127.0.0.1:{@code port} (0 = any free port). */
    public static FakeUpstream start(int port, Script defaultScript) {
        return new FakeUpstream(port, defaultScript, 2);
    }

    public int port() {
        return server.port();
    }

    /** {@code http://127.0.0.1:<port>/v1}, the shape of an OpenAI-compatible base URL. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port() + "/v1";
    }

    /** Scripts for the next requests, in order; after them the default script answers again. */
    public FakeUpstream enqueue(Script... scripts) {
        queue.addAll(List.of(scripts));
        return this;
    }

    public FakeUpstream defaultScript(Script script) {
        this.defaultScript = Objects.requireNonNull(script, "script");
        return this;
    }

    /** Chat and embeddings requests received (their body read). */
    public int requests() {
        synchronized (recordLock) {
            return requests;
        }
    }

    /** Successful replies fully written. */
    public int completedStreams() {
        return completed.get();
    }

    /** Successful replies whose client went away before their end, waiting for the first token included. */
    public int cancelledStreams() {
        return cancelled.get();
    }

    /**
     * Cancelled replies whose prompt carried a request id, each with the instant its cancel reached the fake, in that
     * order; the last 100,000.
     */
    public List<Stamp> cancels() {
        synchronized (recordLock) {
            return List.copyOf(cancels);
        }
    }

    /** Client connections open now, idle keep-alive ones included. */
    public int openConnections() {
        return openConnections.get();
    }

    /** Client connections closed, by either side. */
    public int closedConnections() {
        return closedConnections.get();
    }

    /** Bearer token of each chat and embeddings request ("" when none), in arrival order; the last 10,000. */
    public List<String> apiKeys() {
        synchronized (recordLock) {
            return List.copyOf(apiKeys);
        }
    }

    /** Raw JSON body of each chat and embeddings request, in arrival order; the last 10,000. */
    public List<String> requestBodies() {
        synchronized (recordLock) {
            return List.copyOf(bodies);
        }
    }

    /** Answers these keys with a 401 {@code invalid_api_key} from now on, chats and model list alike. */
    public FakeUpstream refuseKeys(String... keys) {
        refusedKeys.addAll(List.of(keys));
        return this;
    }

    /** Takes every key again. */
    public FakeUpstream acceptAllKeys() {
        refusedKeys.clear();
        return this;
    }

    /** Bearer token of each model-list request ("" when none), in arrival order; the last 10,000. */
    public List<String> modelListKeys() {
        synchronized (recordLock) {
            return List.copyOf(modelListKeys);
        }
    }

    /** The ids {@code GET /models} lists from now on; {@code fake-model} alone until then and after {@link #reset()}. */
    public FakeUpstream listModels(String... ids) {
        this.modelIds = List.of(ids);
        return this;
    }

    /** Whether {@code GET /models} answers a 503 from now on (to a key it takes), as a provider having a bad minute. */
    public FakeUpstream failModelList(boolean fails) {
        this.modelListFails = fails;
        return this;
    }

    /** Forgets queued scripts, refused keys, the model list's changes, counters and records; the default script stays, and so do open connections. */
    public void reset() {
        queue.clear();
        refusedKeys.clear();
        modelIds = DEFAULT_MODELS;
        modelListFails = false;
        completed.set(0);
        cancelled.set(0);
        closedConnections.set(0);
        synchronized (recordLock) {
            requests = 0;
            apiKeys.clear();
            bodies.clear();
            modelListKeys.clear();
            cancels.clear();
        }
    }

    @Override
    public void close() {
        server.dispose();
        // Closing the loops closes every open connection too, stalled streams included, without waiting.
        loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(10));
    }

    private Publisher<Void> chat(HttpServerRequest request, HttpServerResponse response) {
        String apiKey = bearer(request.requestHeaders().get(HttpHeaderNames.AUTHORIZATION));
        Exchange exchange = new Exchange();
        response.withConnection(exchange::attach);
        return acceptedBody(request, response, apiKey, root -> {
            Script script = queue.poll();
            return reply(script != null ? script : defaultScript, root, exchange, response);
        });
    }

    /**
     * Reads and records the body, then answers 400 when it is not a JSON object, the refusal for a refused key, or
     * what {@code answer} makes of it.
     */
    private Mono<Void> acceptedBody(HttpServerRequest request, HttpServerResponse response, String apiKey,
            Function<JsonNode, Mono<Void>> answer) {
        return request.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                .flatMap(body -> {
                    record(apiKey, body);
                    JsonNode root;
                    try {
                        root = JSON.readTree(body);
                    }
                    catch (JacksonException e) {
                        return badRequest(response, "Request body is not valid JSON");
                    }
                    if (root == null || !root.isObject()) {
                        return badRequest(response, "Request body must be a JSON object");
                    }
                    if (refusedKeys.contains(apiKey)) {
                        return refuse(response);
                    }
                    return answer.apply(root);
                });
    }

    private Mono<Void> reply(Script script, JsonNode root, Exchange exchange, HttpServerResponse response) {
        Scheduler timer = schedulers.computeIfAbsent(exchange.connection.channel().eventLoop(),
                Schedulers::fromExecutorService);
        if (script.status() != 200) {
            return delay(script.firstTokenAfter(), timer).then(Mono.defer(() -> errorReply(script, response)));
        }
        JsonNode modelNode = root.path("model");
        String model = modelNode.isString() ? modelNode.stringValue() : "fake-model";
        boolean stream = root.path("stream").isBoolean() && root.path("stream").booleanValue();
        JsonNode includeUsage = root.path("stream_options").path("include_usage");
        Prepared p = prepare(script, model);
        exchange.id = requestId(root);
        Mono<Void> sent = stream
                ? streamReply(script, p, includeUsage.isBoolean() && includeUsage.booleanValue(), promptTokens(root),
                        timer, exchange, response)
                : plainReply(script, p, promptTokens(root), timer, exchange, response);
        return sent
                .doOnSuccess(v -> exchange.settle(completed))
                .doOnCancel(() -> cancelled(exchange))
                // A failed write means the client went away mid-reply.
                .doOnError(e -> cancelled(exchange))
                .onErrorResume(e -> Mono.empty());
    }

    private Mono<Void> streamReply(Script script, Prepared p, boolean includeUsage, int promptTokens,
            Scheduler timer, Exchange exchange, HttpServerResponse response) {
        int count = script.piecesBeforeEnding();
        Flux<ByteBuf> tail;
        Script.Ending ending = script.ending();
        if (ending instanceof Script.Complete && !script.events().isEmpty()) {
            tail = Flux.just(DONE.duplicate());
        }
        else if (ending instanceof Script.Complete) {
            tail = includeUsage
                    ? Flux.just(p.finish.duplicate(), wrap(p.usageChunk(promptTokens)), DONE.duplicate())
                    : Flux.just(p.finish.duplicate(), DONE.duplicate());
        }
        else if (ending instanceof Script.Stall) {
            tail = Flux.never();
        }
        else if (ending instanceof Script.MidStreamError error) {
            tail = Flux.just(wrap("data: {\"error\":{\"message\":" + quote(error.message())
                    + ",\"type\":\"server_error\",\"code\":null}}\n\n"));
        }
        else {
            tail = Flux.empty();
        }
        Flux<ByteBuf> body = pieces(p, count, script.firstTokenAfter(), script.every(), timer).concatWith(tail)
                // Cancel reaches here when the client closes the socket, first-token wait included.
                .doOnCancel(() -> cancelled(exchange));
        Mono<Void> sent = response.status(200)
                .header(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
                .header(HttpHeaderNames.CACHE_CONTROL, "no-cache")
                // Headers go out at once, like real providers, so the caller sees 200 before the first token.
                .sendHeaders()
                .send(body, FLUSH_EACH)
                .then();
        if (ending instanceof Script.Drop) {
            return sent.then(Mono.fromRunnable(exchange::drop));
        }
        return sent;
    }

    private Mono<Void> plainReply(Script script, Prepared p, int promptTokens, Scheduler timer, Exchange exchange,
            HttpServerResponse response) {
        if (script.events().size() > 1) {
            return error(response, 500, "server_error", null, "a whole reply is one document: script one event", null);
        }
        int count = script.piecesBeforeEnding();
        Duration total = script.firstTokenAfter().plus(script.every().multipliedBy(count));
        Script.Ending ending = script.ending();
        if (ending instanceof Script.Stall) {
            return Mono.never();
        }
        if (ending instanceof Script.Drop) {
            return delay(total, timer).then(Mono.fromRunnable(exchange::drop));
        }
        String json = ending instanceof Script.MidStreamError error
                ? "{\"error\":{\"message\":" + quote(error.message()) + ",\"type\":\"server_error\",\"code\":null}}"
                : !script.events().isEmpty() ? script.events().get(0)
                : p.completion(promptTokens);
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        return delay(total, timer).then(response.status(200)
                .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(bytes.length))
                .send(Mono.fromSupplier(() -> Unpooled.wrappedBuffer(bytes)))
                .then());
    }

    /** The first {@code count} pieces: the first after {@code first}, the next ones {@code every} apart. */
    private static Flux<ByteBuf> pieces(Prepared p, int count, Duration first, Duration every, Scheduler timer) {
        Flux<ByteBuf> all;
        if (count > 1 && !every.isZero()) {
            // The first piece goes out at once rather than on a timer tick, which would add a loop turn.
            Flux<ByteBuf> rest = Flux.interval(every, every, timer).take(count - 1)
                    .map(i -> p.pieces[i.intValue() + 1].duplicate());
            // The interval cannot wait for a slow reader; past the send prefetch, buffer instead of failing.
            all = Mono.fromSupplier(() -> p.pieces[0].duplicate())
                    .concatWith(count > 128 ? rest.onBackpressureBuffer() : rest);
        }
        else {
            all = Flux.range(0, count).map(i -> p.pieces[i].duplicate());
        }
        return first.isZero() ? all : Mono.delay(first, timer).thenMany(all);
    }

    private static Mono<Void> delay(Duration d, Scheduler timer) {
        return d.isZero() ? Mono.empty() : Mono.delay(d, timer).then();
    }

    private static Mono<Void> errorReply(Script script, HttpServerResponse response) {
        int code = script.status();
        if (script.errorBody() != null) {
            if (script.retryAfter() != null) {
                response.header(HttpHeaderNames.RETRY_AFTER, Long.toString((script.retryAfter().toMillis() + 999) / 1000));
            }
            return response.status(HttpResponseStatus.valueOf(code))
                    .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .sendString(Mono.just(script.errorBody()))
                    .then();
        }
        String type = code == 401 ? "invalid_request_error"
                : code == 429 ? "requests"
                : code >= 500 ? "server_error" : "invalid_request_error";
        String errorCode = code == 401 ? "invalid_api_key" : code == 429 ? "rate_limit_exceeded" : null;
        String retryAfter = script.retryAfter() == null ? null
                : Long.toString((script.retryAfter().toMillis() + 999) / 1000);
        return error(response, code, type, errorCode, script.errorMessage(), retryAfter);
    }

    private static Mono<Void> refuse(HttpServerResponse response) {
        return error(response, 401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided", null);
    }

    private static Mono<Void> badRequest(HttpServerResponse response, String message) {
        return error(response, 400, "invalid_request_error", null, message, null);
    }

    private static Mono<Void> error(HttpServerResponse response, int code, String type, String errorCode,
            String message, String retryAfter) {
        String json = "{\"error\":{\"message\":" + quote(message) + ",\"type\":" + quote(type) + ",\"code\":"
                + (errorCode == null ? "null" : quote(errorCode)) + "}}";
        if (retryAfter != null) {
            response.header(HttpHeaderNames.RETRY_AFTER, retryAfter);
        }
        return response.status(HttpResponseStatus.valueOf(code))
                .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .sendString(Mono.just(json))
                .then();
    }

    /**
     * An embeddings request takes the next script as a chat does: an error status answers as for a chat (after
     * {@code firstTokenAfter}); 200 answers, after {@code firstTokenAfter}, one vector per input of {@code dimensions}
     * values (3 when not asked), {@code i + 1 + j / 4} for input i and dimension j, as JSON numbers or, for
     * {@code encoding_format: base64}, as OpenAI sends them then. Its {@code usage.prompt_tokens} counts the inputs'
     * whitespace-separated words (token ids for token arrays): not the gateway's estimate, so that a test can tell
     * which one was charged.
     */
    private Publisher<Void> embeddings(HttpServerRequest request, HttpServerResponse response) {
        String apiKey = bearer(request.requestHeaders().get(HttpHeaderNames.AUTHORIZATION));
        return acceptedBody(request, response, apiKey, root -> {
            Script queued = queue.poll();
            Script script = queued != null ? queued : defaultScript;
            Mono<Void> wait = script.firstTokenAfter().isZero() ? Mono.empty()
                    : Mono.delay(script.firstTokenAfter()).then();
            if (script.status() != 200) {
                return wait.then(Mono.defer(() -> errorReply(script, response)));
            }
            byte[] reply = embeddingReply(root).getBytes(StandardCharsets.UTF_8);
            return wait.then(response.status(200)
                    .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(reply.length))
                    .send(Mono.fromSupplier(() -> Unpooled.wrappedBuffer(reply)))
                    .then());
        });
    }

    private static String embeddingReply(JsonNode root) {
        JsonNode input = root.path("input");
        List<JsonNode> inputs = new ArrayList<>();
        if (input.isArray() && !input.isEmpty() && !input.get(0).isNumber()) {
            input.forEach(inputs::add);
        }
        else {
            inputs.add(input);
        }
        int dimensions = root.path("dimensions").isInt() ? root.path("dimensions").intValue() : 3;
        boolean base64 = "base64".equals(root.path("encoding_format").asString(""));
        int words = 0;
        ObjectNode reply = JSON.createObjectNode().put("object", "list");
        ArrayNode data = reply.putArray("data");
        for (int i = 0; i < inputs.size(); i++) {
            JsonNode one = inputs.get(i);
            words += one.isString() ? one.stringValue().trim().split("\\s+").length : one.size();
            float[] vector = new float[dimensions];
            for (int j = 0; j < dimensions; j++) {
                vector[j] = i + 1 + j / 4f;
            }
            ObjectNode embedding = data.addObject().put("object", "embedding").put("index", i);
            if (base64) {
                ByteBuffer bytes = ByteBuffer.allocate(dimensions * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                bytes.asFloatBuffer().put(vector);
                embedding.put("embedding", Base64.getEncoder().encodeToString(bytes.array()));
            }
            else {
                ArrayNode values = embedding.putArray("embedding");
                for (float value : vector) {
                    values.add(value);
                }
            }
        }
        reply.put("model", root.path("model").asString("fake-embedding"));
        reply.putObject("usage").put("prompt_tokens", words).put("total_tokens", words);
        return reply.toString();
    }

    private Publisher<Void> models(HttpServerRequest request, HttpServerResponse response) {
        String apiKey = bearer(request.requestHeaders().get(HttpHeaderNames.AUTHORIZATION));
        synchronized (recordLock) {
            if (modelListKeys.size() == RECORD_LIMIT) {
                modelListKeys.removeFirst();
            }
            modelListKeys.addLast(apiKey);
        }
        if (refusedKeys.contains(apiKey)) {
            return refuse(response);
        }
        if (modelListFails) {
            return response.status(HttpResponseStatus.SERVICE_UNAVAILABLE).send();
        }
        ObjectNode list = JSON.createObjectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        for (String id : modelIds) {
            data.addObject().put("id", id).put("object", "model").put("created", 0).put("owned_by", "fake");
        }
        return response.header(HttpHeaderNames.CONTENT_TYPE, "application/json").sendString(Mono.just(list.toString()));
    }

    private void cancelled(Exchange exchange) {
        Instant at = Instant.now();
        if (exchange.settle(cancelled) && exchange.id != null) {
            synchronized (recordLock) {
                if (cancels.size() == CANCEL_LIMIT) {
                    cancels.removeFirst();
                }
                cancels.addLast(new Stamp(exchange.id, at));
            }
        }
    }

    /** {@link #cancels()} as {@link Stamp#tsv()} lines. */
    private Publisher<Void> cancelList(HttpServerRequest request, HttpServerResponse response) {
        StringBuilder tsv = new StringBuilder();
        cancels().forEach(stamp -> tsv.append(stamp.tsv()));
        return response.header(HttpHeaderNames.CONTENT_TYPE, "text/tab-separated-values")
                .sendString(Mono.just(tsv.toString()));
    }

    private void record(String apiKey, String body) {
        synchronized (recordLock) {
            requests++;
            if (apiKeys.size() == RECORD_LIMIT) {
                apiKeys.removeFirst();
                bodies.removeFirst();
            }
            apiKeys.addLast(apiKey);
            bodies.addLast(body);
        }
    }

    private Prepared prepare(Script script, String model) {
        PreparedKey key = new PreparedKey(script, model);
        Prepared p = prepared.get(key);
        if (p == null) {
            if (prepared.size() >= PREPARED_LIMIT) {
                prepared.clear();
            }
            p = prepared.computeIfAbsent(key, k -> new Prepared(k.script(), k.model()));
        }
        return p;
    }

    /** The id marked in the first message text that has one, or null. */
    private static String requestId(JsonNode root) {
        for (JsonNode message : root.path("messages")) {
            JsonNode content = message.path("content");
            String id = content.isString() ? Stamp.idIn(content.stringValue()) : null;
            if (id != null) {
                return id;
            }
        }
        return null;
    }

    /** Roughly four characters a token, as OpenAI's rule of thumb; deterministic for tests. */
    private static int promptTokens(JsonNode root) {
        int chars = 0;
        for (JsonNode message : root.path("messages")) {
            JsonNode content = message.path("content");
            if (content.isString()) {
                chars += content.stringValue().length();
            }
            else if (!content.isMissingNode()) {
                chars += content.toString().length();
            }
        }
        return Math.max(1, (chars + 3) / 4);
    }

    private static String bearer(String authorization) {
        if (authorization == null) {
            return "";
        }
        return authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim()
                : authorization;
    }

    static String quote(String s) {
        return JSON.writeValueAsString(s);
    }

    private static ByteBuf wrap(String s) {
        return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A buffer written many times: each write takes a duplicate, release is a no-op. On the heap, wrapped rather than
     * allocated, so that Netty's leak detector does not track it: prepared chunks are dropped for the garbage collector
     * when evicted, and a tracked buffer collected unreleased is reported as a LEAK in the log of whatever test runs.
     */
    private static ByteBuf shared(String s) {
        return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.UTF_8)));
    }

    /** Per-request state: its connection, the id its prompt carries (or null) and whether it has been counted. */
    private static final class Exchange {

        private final AtomicBoolean settled = new AtomicBoolean();
        private Connection connection;
        private volatile String id;

        void attach(Connection c) {
            this.connection = c;
        }

        /** Counts the reply in {@code counter} unless it was counted already; whether it was counted now. */
        boolean settle(AtomicInteger counter) {
            if (settled.compareAndSet(false, true)) {
                counter.incrementAndGet();
                return true;
            }
            return false;
        }

        /** Closes the socket mid-reply (a FIN, so the pieces already written still arrive); counted nowhere. */
        void drop() {
            settled.set(true);
            connection.channel().close();
        }
    }

    private record PreparedKey(Script script, String model) {
    }

    /** The wire bytes of one script for one model, built once. */
    private static final class Prepared {

        final ByteBuf[] pieces;
        final ByteBuf finish;
        final String head;
        final String model;
        final Script script;
        final int completionTokens;

        Prepared(Script script, String model) {
            this.script = script;
            this.model = model;
            this.head = "{\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":"
                    + Instant.now().getEpochSecond() + ",\"model\":" + quote(model) + ",\"choices\":[";
            if (!script.events().isEmpty()) {
                // A vendor's own chunks: their finish and usage are among them.
                this.pieces = script.events().stream().map(event -> shared("data: " + event + "\n\n"))
                        .toArray(ByteBuf[]::new);
                this.finish = null;
                this.completionTokens = 0;
                return;
            }
            List<String> deltas = new ArrayList<>();
            if (script.toolCall() != null) {
                Script.ToolCall call = script.toolCall();
                deltas.add("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_fake\","
                        + "\"type\":\"function\",\"function\":{\"name\":" + quote(call.name())
                        + ",\"arguments\":\"\"}}]}");
                for (String fragment : call.fragments()) {
                    deltas.add("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":" + quote(fragment) + "}}]}");
                }
            }
            else {
                for (int i = 0; i < script.tokens().size(); i++) {
                    deltas.add((i == 0 ? "{\"role\":\"assistant\",\"content\":" : "{\"content\":")
                            + quote(script.tokens().get(i)) + "}");
                }
            }
            this.pieces = new ByteBuf[deltas.size()];
            for (int i = 0; i < pieces.length; i++) {
                pieces[i] = shared("data: " + head + "{\"index\":0,\"delta\":" + deltas.get(i)
                        + ",\"finish_reason\":null}]}\n\n");
            }
            this.finish = shared("data: " + head + "{\"index\":0,\"delta\":{},\"finish_reason\":"
                    + quote(script.finishReason()) + "}]}\n\n");
            this.completionTokens = script.toolCall() != null ? pieces.length : script.tokens().size();
        }

        String usage(int promptTokens) {
            return "{\"prompt_tokens\":" + promptTokens + ",\"completion_tokens\":" + completionTokens
                    + ",\"total_tokens\":" + (promptTokens + completionTokens) + "}";
        }

        String usageChunk(int promptTokens) {
            return "data: " + head + "],\"usage\":" + usage(promptTokens) + "}\n\n";
        }

        String completion(int promptTokens) {
            String message;
            if (script.toolCall() != null) {
                message = "{\"role\":\"assistant\",\"content\":null,"
                        + "\"tool_calls\":[{\"id\":\"call_fake\",\"type\":\"function\","
                        + "\"function\":{\"name\":" + quote(script.toolCall().name()) + ",\"arguments\":"
                        + quote(script.toolCall().argumentsJson()) + "}}]}";
            }
            else {
                message = "{\"role\":\"assistant\",\"content\":" + quote(String.join("", script.tokens())) + "}";
            }
            return head.replace("chat.completion.chunk", "chat.completion")
                    + "{\"index\":0,\"message\":" + message + ",\"finish_reason\":" + quote(script.finishReason())
                    + "}],\"usage\":" + usage(promptTokens) + "}";
        }
    }

    /**
     * Runs a fake upstream for benchmarks until killed; prints its port on stdout.
     * {@code --port 9100 --tokens 64 --interval 20ms --first-token 0ms [--threads 2]}.
     */
    public static void main(String[] args) throws InterruptedException {
        int port = 9100;
        int tokens = 64;
        Duration interval = Duration.ofMillis(20);
        Duration firstToken = Duration.ZERO;
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(value);
                case "--tokens" -> tokens = Integer.parseInt(value);
                case "--interval" -> interval = Durations.parse(value);
                case "--first-token" -> firstToken = Durations.parse(value);
                case "--threads" -> threads = Integer.parseInt(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (--port, --tokens, --interval, --first-token, --threads)");
            }
            i++;
        }
        FakeUpstream fake = new FakeUpstream(port, Script.tokens(tokens).every(interval).firstTokenAfter(firstToken),
                threads);
        System.out.println(fake.port());
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
