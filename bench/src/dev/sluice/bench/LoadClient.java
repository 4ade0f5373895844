package dev.sluice.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.timeout.ReadTimeoutException;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * Closed-loop load generator for OpenAI-compatible chat endpoints: {@code --concurrency} virtual users
 * each send a chat request, wait for its end, and send the next one.
 *
 * <p>Measures, per request, the time to the first content chunk (a {@code data:} line whose
 * {@code "content"} is a non-empty string) and the time to the end ({@code [DONE]} for streams).
 * Errors: non-2xx, streams ending without {@code [DONE]} or carrying an error event, connection failures,
 * request timeouts, and stalls (no byte for {@code --stall}, 10 s by default). The whole run is bounded by
 * {@code --deadline}.
 *
 * <p>{@code --method GET} sends bodiless GETs to {@code --url} instead (read endpoints such as the history),
 * timed to the end of their body like non-streaming chats.
 *
 * <p>Prints a human summary, then a Markdown table row as the last line ({@code --table-header} prints
 * the header rows). {@code --cpu-pid} reports the CPU time other processes (the gateway; nginx's master and
 * workers, comma-separated) spent per measured request, read from {@code /proc}.
 *
 * <p>{@code --cancel-after-chunks N} closes each stream's connection once N SSE {@code data:} events have arrived (a
 * user leaving mid-stream); such a stream counts as a success, timed to its close. Each prompt then carries a
 * {@linkplain Stamp request id} ({@code --label} and a sequence number), and {@code --cancel-log FILE} gets the
 * instant of each measured close by id, as {@link Stamp#tsv()} lines, for {@code bench/cancel.sh} to join with
 * the fake's {@code GET /bench/cancels}.
 *
 * <p>The warm-up is {@code --warmup N} requests or {@code --warmup-for 30s} of load (whichever lasts longer when
 * both are given), unmeasured; with the same concurrency the measured requests follow without a pause.
 *
 * <pre>
 * --url http://127.0.0.1:8080/v1/chat/completions --concurrency 1000 (--requests 5000 | --duration 30s)
 * --stream true --model bench --header 'Authorization: Bearer x' (--warmup 1000 | --warmup-for 30s)
 * [--warmup-concurrency 100] --label gateway
 * [--max-tokens 64] [--ramp 1s] [--stall 10s] [--timeout 120s] [--deadline 10m] [--threads 2] [--cpu-pid 1234[,1235]]
 * [--method GET] [--cancel-after-chunks 3 [--cancel-log closes.tsv]]
 * </pre>
 */
public final class LoadClient {

    private static final ByteBuf CONTENT = Unpooled.copiedBuffer("\"content\":\"", StandardCharsets.US_ASCII);
    private static final long HIGHEST_MICROS = Duration.ofHours(1).toNanos() / 1000;

    private final Options options;
    private final HttpClient client;
    private final ConnectionProvider pool;
    private final LoopResources loops;
    private final ByteBuf body;
    private final AtomicLong requestIds = new AtomicLong();

    private LoadClient(Options options) {
        this.options = options;
        // Not colocated: requests start on event loops (a user's next request follows its last response),
        // and colocation would then pile every connection onto the first loop.
        this.loops = LoopResources.create("load", 1, options.threads, true, false);
        // One connection per virtual user, no queue limit: the pool must never be what is measured.
        this.pool = ConnectionProvider.builder("load")
                .maxConnections(Math.max(options.concurrency, options.warmupConcurrency))
                .pendingAcquireMaxCount(-1)
                .pendingAcquireTimeout(options.timeout)
                .build();
        // Request ids have a fixed width, so every body has this one's Content-Length.
        byte[] json = requestJson(options, options.cancelling() ? requestId(0) : null).getBytes(StandardCharsets.UTF_8);
        this.body = Unpooled.unreleasableBuffer(Unpooled.directBuffer(json.length).writeBytes(json));
        this.client = HttpClient.create(pool)
                .runOn(loops)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .headers(h -> {
                    if (!options.get) {
                        h.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
                        h.set(HttpHeaderNames.CONTENT_LENGTH, json.length);
                    }
                    options.headers.forEach(h::set);
                })
                // An idle timeout on reading the response (headers and body): exactly "no byte for --stall".
                .responseTimeout(options.stall);
    }

    /** The chat request; {@code id} (or null) marked in its prompt. */
    private static String requestJson(Options o, String id) {
        String prompt = "Say hello to the benchmark in a few words." + (id == null ? "" : " " + Stamp.MARKER + id);
        return "{\"model\":" + FakeUpstream.quote(o.model) + ",\"stream\":" + o.stream
                + (o.maxTokens > 0 ? ",\"max_tokens\":" + o.maxTokens : "")
                + ",\"messages\":[{\"role\":\"user\",\"content\":" + FakeUpstream.quote(prompt) + "}]}";
    }

    private String requestId(long n) {
        return options.label + "-" + String.format(Locale.ROOT, "%09d", n);
    }

    public static void main(String[] args) {
        if (args.length == 1 && args[0].equals("--table-header")) {
            System.out.println(Result.TABLE_HEADER);
            return;
        }
        Result result = run(Options.parse(args));
        System.out.println(result.summary());
        System.out.println(result.row());
        System.exit(result.deadlineHit() ? 3 : 0);
    }

    /** One run, start to finish, its resources released. */
    static Result run(Options options) {
        LoadClient load = new LoadClient(options);
        try {
            Result result = load.run();
            if (options.cancelLog != null) {
                writeCancelLog(options.cancelLog, result);
            }
            return result;
        }
        finally {
            load.pool.disposeLater().block(Duration.ofSeconds(10));
            load.loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(10));
        }
    }

    private Result run() {
        long deadline = System.nanoTime() + options.deadline.toNanos();
        Phase measured;
        boolean deadlineHit = false;
        boolean warmup = options.warmup > 0 || options.warmupFor != null;
        if (warmup && options.warmupConcurrency != options.concurrency) {
            // Warm up at another concurrency first (a cold JIT at concurrency 1 would take minutes to warm).
            deadlineHit = !runPhase(new Phase(options.warmupConcurrency, options.warmup, options.warmupFor, 0, null),
                    deadline);
            measured = new Phase(options.concurrency, 0, null, options.requests, options.duration);
        }
        else {
            // Same users throughout: the warm-up tickets come first, and the measured ones follow without a
            // pause, so the measured window opens on a system already at its steady state.
            measured = new Phase(options.concurrency, options.warmup, options.warmupFor, options.requests,
                    options.duration);
        }
        if (!deadlineHit) {
            deadlineHit = !runPhase(measured, deadline);
        }
        long cpuAfter = cpuTicks(options.cpuPids);
        long cpuBefore = measured.cpuBefore.block(Duration.ofSeconds(5));
        return new Result(options, measured, measured.elapsedNanos(),
                cpuBefore < 0 || cpuAfter < 0 ? -1 : cpuAfter - cpuBefore, deadlineHit);
    }

    private static void writeCancelLog(Path file, Result result) {
        StringBuilder tsv = new StringBuilder();
        result.phase().closes.forEach(stamp -> tsv.append(stamp.tsv()));
        try {
            Files.writeString(file, tsv);
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs the phase to its end; false when the hard deadline cut it short. */
    private boolean runPhase(Phase phase, long deadline) {
        long rampNanos = options.ramp != null ? options.ramp.toNanos() : phase.users > 1 ? 1_000_000_000L : 0;
        try {
            // Users start spread over --ramp: started together they would stay in lockstep, every stream's
            // tokens due at the same instant, which measures the burst rather than the gateway.
            Flux.range(0, phase.users)
                    .flatMap(vu -> {
                        long delay = rampNanos * vu / phase.users;
                        Mono<Void> user = virtualUser(phase);
                        return delay == 0 ? user : Mono.delay(Duration.ofNanos(delay)).then(user);
                    }, phase.users)
                    .then()
                    .timeout(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))
                    .block();
            return true;
        }
        catch (RuntimeException e) {
            if (!(e.getCause() instanceof TimeoutException)) {
                throw e;
            }
            System.err.println("hard deadline (" + options.deadline + ") hit: in-flight requests abandoned");
            return false;
        }
    }

    private Mono<Void> virtualUser(Phase phase) {
        // repeat() resubscribes in a loop, not recursively, so a user may run any number of requests.
        return Mono.defer(() -> {
                    int ticket = phase.take();
                    return ticket == Phase.NONE ? Mono.just(Boolean.FALSE)
                            : request(phase, ticket == Phase.MEASURED).thenReturn(Boolean.TRUE);
                })
                .repeat()
                .takeWhile(Boolean::booleanValue)
                .then();
    }

    private Mono<Void> request(Phase phase, boolean measured) {
        return Mono.defer(() -> {
            long t0 = System.nanoTime();
            String id = options.cancelling() ? requestId(requestIds.incrementAndGet()) : null;
            Mono<ByteBuf> payload = id == null ? Mono.fromSupplier(body::duplicate)
                    : Mono.fromSupplier(() -> Unpooled.wrappedBuffer(requestJson(options, id).getBytes(StandardCharsets.UTF_8)));
            HttpClient.ResponseReceiver<?> sent = options.get ? client.get().uri(options.url)
                    : client.post().uri(options.url).send(payload);
            return sent
                    .response((res, content) -> {
                        int status = res.status().code();
                        if (status < 200 || status > 299) {
                            return content.then(Mono.just(Outcome.failed("HTTP " + status)));
                        }
                        if (!options.stream) {
                            return content.then(Mono.fromSupplier(() -> Outcome.ok(-1, System.nanoTime() - t0)));
                        }
                        SseScan scan = new SseScan(t0);
                        Flux<ByteBuf> read = content.doOnNext(scan::feed);
                        if (options.cancelling()) {
                            // Reactor Netty's client closes the connection when the body is cancelled (it cannot be
                            // reused mid-response): the instant is taken just before that, on its way up.
                            read = read.doOnCancel(scan::closing)
                                    .takeUntil(b -> scan.dataEvents() >= options.cancelAfterChunks);
                        }
                        return read.then(Mono.fromSupplier(() -> {
                            if (measured && scan.closedAt() != null) {
                                phase.closes.add(new Stamp(id, scan.closedAt()));
                            }
                            return scan.outcome();
                        }));
                    })
                    .single()
                    .timeout(options.timeout)
                    .onErrorResume(e -> Mono.just(Outcome.of(e)))
                    .doOnNext(o -> phase.record(o, measured))
                    .then();
        });
    }

    /** The sum of /proc/PID/stat utime + stime over the pids, in clock ticks, or -1 (none, or one unreadable). */
    private static long cpuTicks(long[] pids) {
        if (pids.length == 0) {
            return -1;
        }
        long sum = 0;
        for (long pid : pids) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                // Fields after the ")" closing the command name: state is field 3, utime 14, stime 15.
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                sum += Long.parseLong(f[11]) + Long.parseLong(f[12]);
            }
            catch (IOException | RuntimeException e) {
                return -1;
            }
        }
        return sum;
    }

    /**
     * Reads an SSE body chunk by chunk without parsing JSON: jumps from newline to newline and looks only
     * at line starts, plus one substring search per line until the first content appears. Lines split
     * across network reads are carried over (rare: events are small and flushed one by one).
     */
    static final class SseScan {

        private static final byte[] DATA = "data:".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] ERROR = "{\"error\"".getBytes(StandardCharsets.US_ASCII);

        private final long t0;
        private long firstContent = -1;
        private int dataEvents;
        private boolean done;
        private boolean error;
        private Instant closedAt;
        private byte[] carry;

        SseScan(long t0) {
            this.t0 = t0;
        }

        void feed(ByteBuf chunk) {
            ByteBuf buf = chunk;
            if (carry != null) {
                buf = Unpooled.wrappedBuffer(Unpooled.wrappedBuffer(carry), chunk.retainedSlice());
                carry = null;
            }
            try {
                int end = buf.writerIndex();
                int start = buf.readerIndex();
                while (start < end) {
                    int nl = buf.indexOf(start, end, (byte) '\n');
                    if (nl < 0) {
                        carry = new byte[end - start];
                        buf.getBytes(start, carry);
                        break;
                    }
                    line(buf, start, nl);
                    start = nl + 1;
                }
            }
            finally {
                if (buf != chunk) {
                    buf.release();
                }
            }
        }

        private void line(ByteBuf buf, int from, int to) {
            if (!startsWith(buf, from, to, DATA)) {
                return;
            }
            dataEvents++;
            int p = from + DATA.length;
            if (p < to && buf.getByte(p) == ' ') {
                p++;
            }
            if (startsWith(buf, p, to, DONE)) {
                done = true;
            }
            else if (startsWith(buf, p, to, ERROR)) {
                error = true;
            }
            else if (firstContent < 0) {
                int at = ByteBufUtil.indexOf(CONTENT, buf.slice(p, to - p));
                if (at >= 0) {
                    int next = p + at + CONTENT.readableBytes();
                    if (next < to && buf.getByte(next) != '"') {
                        firstContent = System.nanoTime() - t0;
                    }
                }
            }
        }

        private static boolean startsWith(ByteBuf buf, int from, int to, byte[] prefix) {
            if (to - from < prefix.length) {
                return false;
            }
            for (int i = 0; i < prefix.length; i++) {
                if (buf.getByte(from + i) != prefix[i]) {
                    return false;
                }
            }
            return true;
        }

        int dataEvents() {
            return dataEvents;
        }

        /** The client closes the stream now. */
        void closing() {
            closedAt = Instant.now();
        }

        /** When the client closed the stream, or null. */
        Instant closedAt() {
            return closedAt;
        }

        Outcome outcome() {
            if (error) {
                return Outcome.failed("error event");
            }
            if (!done && closedAt == null) {
                return Outcome.failed("no [DONE]");
            }
            return Outcome.ok(firstContent, System.nanoTime() - t0);
        }
    }

    /** One request's end: ok with its times (nanoseconds, ttft -1 when none), or a failure kind. */
    record Outcome(boolean ok, long ttftNanos, long totalNanos, String failure, boolean stalled) {

        static Outcome ok(long ttft, long total) {
            return new Outcome(true, ttft, total, null, false);
        }

        static Outcome failed(String kind) {
            return new Outcome(false, -1, -1, kind, false);
        }

        static Outcome of(Throwable e) {
            if (e instanceof ReadTimeoutException || e.getCause() instanceof ReadTimeoutException) {
                return new Outcome(false, -1, -1, "stalled", true);
            }
            if (e instanceof TimeoutException) {
                return failed("timeout");
            }
            String name = e.getClass().getSimpleName();
            return failed(name.isEmpty() ? e.getClass().getName() : name);
        }
    }

    /**
     * Hands out request tickets, the first {@code --warmup} ones (and those taken during {@code --warmup-for})
     * unmeasured, and records the outcomes. The measured window runs from the first measured ticket to the last
     * measured outcome.
     */
    final class Phase {

        static final int NONE = 0;
        static final int WARMUP = 1;
        static final int MEASURED = 2;

        final int users;
        private final long warmup;
        private final Duration warmupFor;
        private final long count;
        private final Duration duration;
        private final AtomicLong issued = new AtomicLong();
        private final AtomicLong measuredIssued = new AtomicLong();
        /** When a {@code warmupFor} warm-up ends: set by the first ticket. */
        private final AtomicLong warmupEnd = new AtomicLong();
        private final AtomicLong measuredStart = new AtomicLong();
        private final AtomicLong measuredEnd = new AtomicLong();
        private volatile long endAt = Long.MAX_VALUE;
        /** CPU ticks of --cpu-pid when the measured window opened, read off the event loops. */
        volatile Mono<Long> cpuBefore = Mono.just(-1L);
        final LongAdder ok = new LongAdder();
        final LongAdder failed = new LongAdder();
        final LongAdder stalled = new LongAdder();
        final LongAdder withoutContent = new LongAdder();
        final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
        /** Measured streams the client closed ({@code --cancel-after-chunks}), by request id. */
        final Queue<Stamp> closes = new ConcurrentLinkedQueue<>();
        final Histogram ttft = new ConcurrentHistogram(1, HIGHEST_MICROS, 3);
        final Histogram total = new ConcurrentHistogram(1, HIGHEST_MICROS, 3);

        /**
         * {@code users} users; {@code warmup} unmeasured requests and for {@code warmupFor} (null: no time), then
         * {@code count} or for {@code duration}.
         */
        Phase(int users, long warmup, Duration warmupFor, long count, Duration duration) {
            this.users = users;
            this.warmup = warmup;
            this.warmupFor = warmupFor;
            this.count = count;
            this.duration = duration;
        }

        int take() {
            long n = issued.getAndIncrement();
            long now = System.nanoTime();
            // Both warm-ups run from the first ticket, so that the longer of the two is the one that counts.
            boolean timed = warmingUp(now);
            if (n < warmup || timed) {
                return WARMUP;
            }
            if (duration == null && count <= 0) {
                return NONE;
            }
            if (measuredStart.get() == 0 && measuredStart.compareAndSet(0, now)) {
                if (duration != null) {
                    endAt = now + duration.toNanos();
                }
                cpuBefore = Mono.fromCallable(() -> cpuTicks(options.cpuPids))
                        .subscribeOn(Schedulers.boundedElastic()).cache();
                cpuBefore.subscribe();
            }
            if (duration != null) {
                return now < endAt ? MEASURED : NONE;
            }
            return measuredIssued.getAndIncrement() < count ? MEASURED : NONE;
        }

        /** Within the {@code warmupFor} window, which the first ticket opens. */
        private boolean warmingUp(long now) {
            if (warmupFor == null) {
                return false;
            }
            long end = warmupEnd.get();
            if (end == 0) {
                warmupEnd.compareAndSet(0, now + warmupFor.toNanos());
                end = warmupEnd.get();
            }
            return now < end;
        }

        long elapsedNanos() {
            long start = measuredStart.get();
            return start == 0 ? 0 : Math.max(0, measuredEnd.get() - start);
        }

        void record(Outcome o, boolean measured) {
            if (!measured) {
                return;
            }
            measuredEnd.accumulateAndGet(System.nanoTime(), Math::max);
            if (o.ok()) {
                ok.increment();
                total.recordValue(micros(o.totalNanos()));
                if (o.ttftNanos() >= 0) {
                    ttft.recordValue(micros(o.ttftNanos()));
                }
                else if (options.stream) {
                    withoutContent.increment();
                }
            }
            else {
                failed.increment();
                if (o.stalled()) {
                    stalled.increment();
                }
                failures.computeIfAbsent(o.failure(), k -> new LongAdder()).increment();
            }
        }

        private static long micros(long nanos) {
            return Math.min(HIGHEST_MICROS, Math.max(1, nanos / 1000));
        }
    }

    record Result(Options options, Phase phase, long elapsedNanos, long cpuTicks, boolean deadlineHit) {

        static final String TABLE_HEADER = String.join("\n",
                "| run | mode | conc. | requests | errors | stalled | req/s | TTFT p50 | TTFT p90 | TTFT p99 | TTFT max"
                        + " | total p50 | total p99 | CPU µs/req |",
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");

        long requests() {
            return phase.ok.sum() + phase.failed.sum();
        }

        double throughput() {
            return elapsedNanos <= 0 ? 0 : phase.ok.sum() * 1e9 / elapsedNanos;
        }

        /** CPU of --cpu-pid per measured request, in µs, assuming the usual 100 clock ticks a second. */
        double cpuMicrosPerRequest() {
            long n = requests();
            return cpuTicks < 0 || n == 0 ? -1 : cpuTicks * 10_000.0 / n;
        }

        String row() {
            boolean stream = options.stream;
            return "| " + options.label + (deadlineHit ? " (DEADLINE)" : "")
                    + " | " + mode()
                    + " | " + options.concurrency
                    + " | " + requests()
                    + " | " + phase.failed.sum()
                    + " | " + phase.stalled.sum()
                    + " | " + String.format(Locale.ROOT, "%.1f", throughput())
                    + " | " + (stream ? ms(phase.ttft, 50) : "–")
                    + " | " + (stream ? ms(phase.ttft, 90) : "–")
                    + " | " + (stream ? ms(phase.ttft, 99) : "–")
                    + " | " + (stream ? ms(phase.ttft, 100) : "–")
                    + " | " + ms(phase.total, 50)
                    + " | " + ms(phase.total, 99)
                    + " | " + (cpuMicrosPerRequest() < 0 ? "–" : String.format(Locale.ROOT, "%.0f", cpuMicrosPerRequest()))
                    + " |";
        }

        String summary() {
            List<String> lines = new ArrayList<>();
            lines.add(String.format(Locale.ROOT, "%s: %s %s x%d, %d requests in %.2f s = %.1f req/s%s",
                    options.label, mode(), options.url, options.concurrency, requests(),
                    elapsedNanos / 1e9, throughput(), deadlineHit ? " (cut short by the hard deadline)" : ""));
            Map<String, Long> kinds = new TreeMap<>();
            phase.failures.forEach((k, v) -> kinds.put(k, v.sum()));
            if (options.cancelling()) {
                lines.add("  closed after " + options.cancelAfterChunks + " data events: " + phase.closes.size());
            }
            lines.add("  errors " + phase.failed.sum() + (kinds.isEmpty() ? "" : " " + kinds) + ", stalled "
                    + phase.stalled.sum() + (phase.withoutContent.sum() > 0
                            ? ", ok without any content " + phase.withoutContent.sum() : ""));
            if (options.stream) {
                lines.add("  TTFT  ms: p50 " + ms(phase.ttft, 50) + "  p90 " + ms(phase.ttft, 90) + "  p99 "
                        + ms(phase.ttft, 99) + "  max " + ms(phase.ttft, 100));
            }
            lines.add("  total ms: p50 " + ms(phase.total, 50) + "  p90 " + ms(phase.total, 90) + "  p99 "
                    + ms(phase.total, 99) + "  max " + ms(phase.total, 100));
            if (cpuMicrosPerRequest() >= 0) {
                lines.add(String.format(Locale.ROOT, "  pid %s CPU: %.0f µs per request (%d ticks)",
                        Arrays.stream(options.cpuPids).mapToObj(Long::toString).collect(Collectors.joining(",")),
                        cpuMicrosPerRequest(), cpuTicks));
            }
            return String.join("\n", lines);
        }

        private String mode() {
            return options.get ? "GET" : options.stream ? "stream" : "json";
        }

        private static String ms(Histogram h, double percentile) {
            if (h.getTotalCount() == 0) {
                return "–";
            }
            long micros = percentile >= 100 ? h.getMaxValue() : h.getValueAtPercentile(percentile);
            return String.format(Locale.ROOT, "%.2f", micros / 1000.0);
        }
    }

    static final class Options {

        String url = "http://127.0.0.1:8080/v1/chat/completions";
        int concurrency = 1;
        long requests = -1;
        Duration duration;
        boolean stream = true;
        /** {@code --method GET}: bodiless GETs, timed like non-streaming replies. */
        boolean get;
        String model = "bench";
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        long warmup = 0;
        /** {@code --warmup-for}: a warm-up of this long, or null. */
        Duration warmupFor;
        String label = "run";
        int maxTokens = 0;
        Duration stall = Duration.ofSeconds(10);
        Duration timeout = Duration.ofSeconds(120);
        Duration deadline;
        /** Spread of the users' start; by default 1 s when there are several. */
        Duration ramp;
        int warmupConcurrency = -1;
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        long[] cpuPids = new long[0];
        /** {@code --cancel-after-chunks}: close each stream after this many data events; 0: read them to the end. */
        int cancelAfterChunks;
        /** {@code --cancel-log}: where the closes go, or null. */
        Path cancelLog;

        boolean cancelling() {
            return cancelAfterChunks > 0;
        }

        static Options parse(String... args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i += 2) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value for " + args[i]);
                }
                String v = args[i + 1];
                switch (args[i]) {
                    case "--url" -> o.url = v;
                    case "--concurrency" -> o.concurrency = Integer.parseInt(v);
                    case "--requests" -> o.requests = Long.parseLong(v);
                    case "--duration" -> o.duration = Durations.parse(v);
                    case "--stream" -> o.stream = Boolean.parseBoolean(v);
                    case "--model" -> o.model = v;
                    case "--header" -> {
                        int colon = v.indexOf(':');
                        if (colon <= 0) {
                            throw new IllegalArgumentException("--header wants 'Name: value', got " + v);
                        }
                        o.headers.put(v.substring(0, colon).trim(), v.substring(colon + 1).trim());
                    }
                    case "--warmup" -> o.warmup = Long.parseLong(v);
                    case "--warmup-for" -> o.warmupFor = Durations.parse(v);
                    case "--label" -> o.label = v;
                    case "--max-tokens" -> o.maxTokens = Integer.parseInt(v);
                    case "--stall" -> o.stall = Durations.parse(v);
                    case "--timeout" -> o.timeout = Durations.parse(v);
                    case "--deadline" -> o.deadline = Durations.parse(v);
                    case "--ramp" -> o.ramp = Durations.parse(v);
                    case "--warmup-concurrency" -> o.warmupConcurrency = Integer.parseInt(v);
                    case "--threads" -> o.threads = Integer.parseInt(v);
                    case "--cpu-pid" -> o.cpuPids = Arrays.stream(v.split(",")).map(String::trim)
                            .filter(pid -> !pid.isEmpty()).mapToLong(Long::parseLong).toArray();
                    case "--method" -> {
                        if (!v.equalsIgnoreCase("GET") && !v.equalsIgnoreCase("POST")) {
                            throw new IllegalArgumentException("--method wants GET or POST, got " + v);
                        }
                        o.get = v.equalsIgnoreCase("GET");
                    }
                    case "--cancel-after-chunks" -> o.cancelAfterChunks = Integer.parseInt(v);
                    case "--cancel-log" -> o.cancelLog = Path.of(v);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (o.get) {
                o.stream = false;
            }
            if (o.cancelling() && !o.stream) {
                throw new IllegalArgumentException("--cancel-after-chunks closes streams: it needs --stream true");
            }
            if (o.cancelling() && !Stamp.ID.matcher(o.label).matches()) {
                throw new IllegalArgumentException("--cancel-after-chunks puts --label into request ids: letters, digits,"
                        + " '.', '_' and '-' only, got " + o.label);
            }
            if (o.cancelLog != null && !o.cancelling()) {
                throw new IllegalArgumentException("--cancel-log needs --cancel-after-chunks");
            }
            if (o.concurrency < 1) {
                throw new IllegalArgumentException("--concurrency must be >= 1");
            }
            if (o.requests < 0 && o.duration == null) {
                o.requests = 1000;
            }
            if (o.warmupConcurrency < 1) {
                o.warmupConcurrency = o.concurrency;
            }
            if (o.deadline == null) {
                // Generous but finite: the measured part, plus room for the warmup and the slowest request.
                Duration work = o.duration != null ? o.duration : Duration.ofMinutes(5);
                if (o.warmupFor != null) {
                    work = work.plus(o.warmupFor);
                }
                o.deadline = work.plus(o.timeout.multipliedBy(2));
            }
            return o;
        }
    }
}
