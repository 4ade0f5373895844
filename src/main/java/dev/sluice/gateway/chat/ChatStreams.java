package dev.sluice.gateway.chat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import dev.sluice.gateway.accesslog.RequestLogContext;
import dev.sluice.gateway.cache.CacheStatus;
import dev.sluice.gateway.routing.Target;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/** What both chat APIs share when they answer: SSE framing, heartbeats, and the routing headers. */
public final class ChatStreams {

    public static final String PROVIDER_HEADER = "X-Sluice-Provider";
    public static final String ATTEMPTS_HEADER = "X-Sluice-Attempts";
    public static final String OVERHEAD_HEADER = "X-Sluice-Overhead-Ms";
    public static final String CACHE_HEADER = "X-Sluice-Cache";
    /** One per event loop that answers chats: as many as the server has loops. */
    private static final Map<EventExecutor, Scheduler> LOOP_TIMERS = new ConcurrentHashMap<>();
    private static final ServerSentEvent<String> HEARTBEAT = ServerSentEvent.<String>builder().comment("keep-alive").build();

    private ChatStreams() {
    }

    /**
     * Answers with an event stream.
     * <p>
     * Nothing is sent before the first event, so a failure before it (no provider, a timeout waiting for
     * the first token) still gets a plain HTTP error status. After it the status line is gone: a failure
     * becomes the {@code errorEvent} that ends the stream, because a stream must never look finished when
     * it is not. That happens here, ahead of any operator that queues, so no token before it is lost.
     * Heartbeat comments keep proxies from cutting the stream during the upstream's silences.
     */
    public static Mono<ServerResponse> respond(Flux<ServerSentEvent<String>> events, Duration heartbeat,
            Function<Throwable, ServerSentEvent<String>> errorEvent) {
        StartedFlag started = new StartedFlag();
        Scheduler timer = timerOfThisLoop();
        Flux<ServerSentEvent<String>> body = events
                .doOnNext(event -> started.value = true)
                .onErrorResume(failure -> started.value
                        ? Mono.deferContextual(context -> Mono.just(RequestLogContext.withIds(context, () -> errorEvent.apply(failure))))
                        : Mono.error(failure))
                .publish(shared -> Flux.merge(shared, heartbeats(shared, heartbeat, timer)));
        return ServerResponse.ok()
                .contentType(MediaType.TEXT_EVENT_STREAM)
                .header(HttpHeaders.CACHE_CONTROL, "no-cache")
                .header("X-Accel-Buffering", "no") // nginx: pass each event through at once
                .body(BodyInserters.fromServerSentEvents(body));
    }

    /** Comments every {@code interval} from the first event until the stream ends. */
    private static Flux<ServerSentEvent<String>> heartbeats(Flux<ServerSentEvent<String>> events, Duration interval,
            Scheduler timer) {
        return Flux.interval(interval, interval, timer)
                .map(tick -> HEARTBEAT)
                .delaySubscription(events.take(1).onErrorComplete())
                .takeUntilOther(events.ignoreElements().onErrorComplete());
    }

    /**
     * The timer of the event loop this response is handled on, where its heartbeats are then written without a hop.
     * Not Reactor's parallel scheduler: its few timer queues are shared by every stream, each behind a lock, and
     * streams that end within milliseconds (cache replays) would contend for them to cancel their heartbeat.
     */
    private static Scheduler timerOfThisLoop() {
        EventExecutor loop = ThreadExecutorMap.currentExecutor();
        return loop == null ? Schedulers.parallel() : LOOP_TIMERS.computeIfAbsent(loop, Schedulers::fromExecutorService);
    }

    /**
     * Adds who served the request, after how many calls, what the cache did ({@code X-Sluice-Cache}) and the time
     * spent in the gateway itself to the response headers, at the last moment before they are sent. A reply from
     * the cache, or shared with an identical request in flight, names the provider that made it, after 0 calls of
     * this request's own.
     */
    public static void reportRouting(ServerWebExchange exchange, Tally tally) {
        ServerHttpResponse response = exchange.getResponse();
        response.beforeCommit(() -> {
            Target target = tally.target();
            String elsewhere;
            if (target != null) {
                response.getHeaders().set(PROVIDER_HEADER, target.toString());
                response.getHeaders().set(ATTEMPTS_HEADER, Integer.toString(tally.attempts()));
            }
            else if ((elsewhere = tally.providerElsewhere()) != null) {
                response.getHeaders().set(PROVIDER_HEADER, elsewhere);
                response.getHeaders().set(ATTEMPTS_HEADER, "0");
            }
            CacheStatus status = tally.cacheStatus();
            if (status != null) {
                response.getHeaders().set(CACHE_HEADER, status.headerValue());
            }
            response.getHeaders().set(OVERHEAD_HEADER, millis(tally.overheadNanos()));
            return Mono.empty();
        });
    }

    /** Milliseconds with two decimals, without the cost of a formatter. */
    static String millis(long nanos) {
        long hundredths = (nanos + 5_000) / 10_000;
        long fraction = hundredths % 100;
        return hundredths / 100 + (fraction < 10 ? ".0" : ".") + fraction;
    }

    // Signals of one stream are serialised, so a plain field is safe here.
    private static final class StartedFlag {
        boolean value;
    }
}
