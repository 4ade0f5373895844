package dev.sluice.gateway.routing;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import dev.sluice.gateway.accesslog.RequestLogContext;
import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.provider.Provider;
import dev.sluice.gateway.provider.ProviderClient;
import dev.sluice.gateway.provider.ProviderProperties;
import dev.sluice.gateway.provider.ProviderRegistry;
import dev.sluice.gateway.provider.UpstreamCall;
import dev.sluice.gateway.provider.UpstreamException;
import dev.sluice.gateway.provider.key.KeyPool;
import dev.sluice.gateway.routing.resilience.Backoff;
import dev.sluice.gateway.routing.resilience.ProviderGuard;
import dev.sluice.gateway.routing.resilience.ProviderGuards;
import dev.sluice.gateway.routing.resilience.ProviderMeters.Outcome;
import dev.sluice.gateway.routing.resilience.ProviderMeters.Skip;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.pool.PoolAcquirePendingLimitException;
import reactor.pool.PoolAcquireTimeoutException;

/**
 * Sends a request along its route and streams the reply.
 * <p>
 * Until the first token reaches the client, a failure is routing's to handle: a 429 rests that key for that
 * model (for every model when the provider says the limit is the key's) and tries another at once, a refused
 * key (a 401 or the vendor's invalid-key error) leaves the rotation, a 5xx, a 402, a lost connection or a
 * silent first token is retried after a jittered backoff and then handed to the next target; an open
 * circuit, a full bulkhead, a spent budget or no usable key passes a target over, and so does a request its protocol
 * cannot express (a parameter another protocol has, unsent): another target may take it, and when none can, the
 * caller gets a 400 naming the parameter. A request the provider refuses (any other 4xx, a 403 included) is the
 * caller's and is tried nowhere else. After the first token the provider is never switched: a failure ends the
 * stream as an error. Faults leave here as {@link GatewayException}s from the one error table, with messages safe to
 * show to callers: what the provider said, its addresses and its billing, go to the log at WARN with the request's id
 * instead.
 */
@Component
public class Router {

    private static final Logger log = LoggerFactory.getLogger(Router.class);
    private static final Duration MIN_COOLDOWN = Duration.ofSeconds(1);
    private static final Duration OVERLOADED_RETRY_AFTER = Duration.ofSeconds(1);
    /** The most a failure can tell, on {@link #telling}'s scale. */
    private static final int UPSTREAM_FAULT = 2;

    private final ProviderRegistry providers;
    private final ProviderGuards guards;
    private final TargetOrder targetOrder;
    private final LatencyTracker latency;
    private final RoutingProperties properties;
    private final Backoff backoff;
    private final LongAdder active = new LongAdder();

    public Router(ProviderRegistry providers, ProviderGuards guards, TargetOrder targetOrder, LatencyTracker latency,
            RoutingProperties properties, MeterRegistry registry) {
        this.providers = providers;
        this.guards = guards;
        this.targetOrder = targetOrder;
        this.latency = latency;
        this.properties = properties;
        this.backoff = new Backoff(properties.backoff(), properties.maxBackoff());
        Gauge.builder("sluice.streams.active", active, LongAdder::sum)
                .description("Replies being routed now, from the request to the end of its stream: what an autoscaler scales on")
                .register(registry);
    }

    /**
     * Streams the reply to {@code request} along {@code route}, telling {@code listener} of each call it makes.
     * {@code whole}: the caller takes the reply whole, which lets a provider be asked for it whole.
     */
    public Flux<ChatChunk> stream(Route route, ChatRequest request, boolean whole, Listener listener) {
        return route(route, request, estimateTokens(request), listener, whole ? WHOLE_CHATS : STREAMED_CHATS);
    }

    /**
     * Sends {@code request} along {@code route} as {@code calls} says a call of its kind is made, telling
     * {@code listener} of each call: the same keys, breakers, bulkheads, budgets, timeouts, retries and fallbacks for
     * every kind. A reply has started with its first piece; for a reply of one piece (embeddings), that piece is the
     * whole of it. {@code estimatedTokens} is what the providers' token budgets are charged.
     */
    public <R, T> Flux<T> route(Route route, R request, long estimatedTokens, Listener listener, Calls<R, T> calls) {
        return Flux.defer(() -> {
                    active.increment();
                    return new Walk<>(route, request, estimatedTokens, listener, calls).from(0);
                })
                .onErrorResume(UpstreamException.class, failure -> Flux.deferContextual(context -> {
                    RequestLogContext.log(context, () -> log.warn("A reply from '{}' failed: {}", route.name(),
                            failure.getMessage()));
                    return Flux.<T>error(toClientError(route, failure));
                }))
                .doFinally(signal -> active.decrement());
    }

    /**
     * How one kind of request is called on a target and what its reply tells the meters: a chat's stream of chunks,
     * an embeddings call's one reply.
     *
     * @param <R> the request
     * @param <T> the pieces of its reply
     */
    public interface Calls<R, T> {

        /**
         * The call of {@code request} to {@code target} of {@code provider} with {@code apiKey} (may be {@code null}),
         * on {@link ProviderClient}'s contract: cold, cancelled with its subscription, failing with
         * {@link UpstreamException}s.
         */
        Flux<T> call(Provider provider, Target target, R request, String apiKey);

        /** The usage that {@code piece} reports, for the token meters; {@code null} for a piece that reports none. */
        ChatChunk.Usage usage(T piece);

        /**
         * Whether a call to {@code provider} asks for a reply that comes whole when it is done, with no first token
         * to time: then only the total timeout bounds it, and its time to the first piece is no time to first token.
         */
        default boolean asksWhole(Provider provider) {
            return false;
        }
    }

    private static final Calls<ChatRequest, ChatChunk> STREAMED_CHATS = new ChatCalls(false);
    private static final Calls<ChatRequest, ChatChunk> WHOLE_CHATS = new ChatCalls(true);

    /**
     * Chats: the provider's client streams the reply's chunks, of which one reports the usage. A reply its caller
     * takes whole is asked for whole of a client that asks for whole replies, and then timed by its total timeout
     * alone.
     */
    private record ChatCalls(boolean whole) implements Calls<ChatRequest, ChatChunk> {

        @Override
        public Flux<ChatChunk> call(Provider provider, Target target, ChatRequest request, String apiKey) {
            return provider.client().stream(new UpstreamCall(target.model(), request, apiKey, asksWhole(provider)));
        }

        @Override
        public ChatChunk.Usage usage(ChatChunk chunk) {
            return chunk instanceof ChatChunk.Usage usage ? usage : null;
        }

        @Override
        public boolean asksWhole(Provider provider) {
            return whole && provider.client().asksWholeReplies();
        }
    }

    /**
     * What the router tells of one request as it routes it: each call it makes, and the time it spends waiting on
     * upstreams (a call, or a backoff before the next), which is not the gateway's own time. Called from the request's
     * serialised signals.
     */
    public interface Listener {

        /** A call to {@code target} starts: it serves the request unless it fails before its first token. */
        void attempt(Target target);

        /**
         * The call {@link #attempt} began was never sent: the target's protocol cannot express the request. It is not
         * a call (not counted, its prompt not charged), and the target tried before it, if any, is the last again.
         */
        void withdrawn();

        /** Waiting on an upstream starts, unless it runs already. */
        void upstreamStarted();

        /** Waiting on an upstream ends. */
        void upstreamStopped();
    }

    /**
     * A fault that reached the client unhandled: the request was refused, or the stream broke after it started.
     * A 400-like refusal passes on what the provider said, which is about the request; a 403 passes on nothing.
     */
    private static GatewayException toClientError(Route route, UpstreamException failure) {
        if (failure instanceof UpstreamException.Rejected rejected) {
            return rejected.status() == 403
                    ? new GatewayException(ErrorCode.UPSTREAM_REFUSED, "The provider of '" + route.name()
                            + "' refused to serve this request (HTTP 403); it was not tried elsewhere")
                    : new GatewayException(ErrorCode.UPSTREAM_REJECTED, "The provider refused the request: "
                            + failure.getMessage());
        }
        if (failure instanceof UpstreamException.TimedOut) {
            return new GatewayException(ErrorCode.UPSTREAM_TIMEOUT, "The reply from '" + route.name() + "' stalled: "
                    + failure.getMessage());
        }
        return new GatewayException(ErrorCode.STREAM_BROKEN, "The reply from '" + route.name() + "' broke off");
    }

    /** One request's way along its route. Its signals are serialised, so plain fields suffice. */
    private final class Walk<R, T> {

        private final Route route;
        private final List<Target> targets;
        private final R request;
        private final Listener listener;
        private final long estimatedTokens;
        private final Calls<R, T> calls;
        private boolean started;
        private long firstTokenAt;
        /** The most telling failure so far (see {@link #remember}). */
        private RuntimeException failure;
        /** The target called last, for the log and the error of a request no one could serve. */
        private Target lastTried;

        Walk(Route route, R request, long estimatedTokens, Listener listener, Calls<R, T> calls) {
            this.route = route;
            this.targets = targetOrder.order(route);
            this.request = request;
            this.listener = listener;
            this.estimatedTokens = estimatedTokens;
            this.calls = calls;
        }

        Flux<T> from(int index) {
            if (index == targets.size()) {
                listener.upstreamStopped();
                return Flux.deferContextual(context -> {
                    // A target passed over, or a request no target's protocol could express, is nothing to warn of.
                    if (telling(failure) == UPSTREAM_FAULT) {
                        RequestLogContext.log(context, () -> log.warn("No provider could serve '{}' (last: {}): {}",
                                route.name(), lastTried, failure.getMessage()));
                    }
                    return Flux.<T>error(toClientError());
                });
            }
            Target target = targets.get(index);
            Provider provider = providers.find(target.provider()).orElseThrow();
            ProviderGuard guard = guards.of(provider.name());
            if (!guard.budget().trySpend(estimatedTokens)) {
                return passOver(guard, Skip.BUDGET_SPENT, index);
            }
            return guard.bulkhead().acquire()
                    .onErrorMap(error -> error instanceof PoolAcquirePendingLimitException
                            || error instanceof PoolAcquireTimeoutException, error -> new PassedOver(Skip.BULKHEAD_FULL))
                    .flatMapMany(permit -> tries(target, provider, guard, 0)
                            .doOnTerminate(permit::release)
                            .doOnCancel(permit::release))
                    .onErrorResume(error -> !started && fallsBack(error), error -> {
                        if (error instanceof PassedOver passedOver) {
                            guard.meters().skip(passedOver.reason);
                        }
                        remember((RuntimeException) error);
                        listener.upstreamStopped();
                        return from(index + 1);
                    });
        }

        private Flux<T> passOver(ProviderGuard guard, Skip reason, int index) {
            guard.meters().skip(reason);
            remember(new PassedOver(reason));
            return from(index + 1);
        }

        /** Calls one target, with another key after a 429 or a refused key, and again after a backoff. */
        private Flux<T> tries(Target target, Provider provider, ProviderGuard guard, int retry) {
            CircuitBreaker breaker = guard.breaker();
            if (!breaker.tryAcquirePermission()) {
                return Flux.error(new PassedOver(Skip.CIRCUIT_OPEN));
            }
            KeyPool.Lease lease = provider.keys().acquire(target.model());
            if (lease == null) {
                breaker.releasePermission();
                return Flux.error(new PassedOver(Skip.NO_USABLE_KEY));
            }
            lastTried = target;
            listener.attempt(target);
            listener.upstreamStarted();
            long sentAt = System.nanoTime();
            String model = route.metricModel(target);
            boolean whole = calls.asksWhole(provider);
            ProviderProperties.Timeouts timeouts = provider.properties().timeouts();
            return StreamTimeouts.apply(calls.call(provider, target, request, lease.key()),
                            whole ? timeouts.forWholeReply() : timeouts)
                    .doOnNext(piece -> {
                        ChatChunk.Usage usage = calls.usage(piece);
                        if (usage != null) {
                            guard.meters().usage(model, usage.promptTokens(), usage.completionTokens(),
                                    started ? System.nanoTime() - firstTokenAt : 0);
                        }
                        if (!started) {
                            started = true;
                            firstTokenAt = System.nanoTime();
                            long firstToken = firstTokenAt - sentAt;
                            breaker.onSuccess(firstToken, TimeUnit.NANOSECONDS);
                            if (!whole) {
                                if (route.listed()) {
                                    latency.record(target, firstToken); // only configured targets, whatever callers ask
                                }
                                guard.meters().firstToken(model, firstToken);
                            }
                            guard.meters().attempt(Outcome.OK);
                        }
                    })
                    .doOnTerminate(() -> {
                        lease.release();
                        listener.upstreamStopped();
                    })
                    .doOnCancel(() -> {
                        lease.release();
                        listener.upstreamStopped();
                        if (!started) {
                            breaker.releasePermission();
                            guard.meters().attempt(Outcome.CANCELLED);
                        }
                    })
                    .onErrorResume(error -> !started, error -> afterFailure(error, target, provider, guard, retry,
                            lease, System.nanoTime() - sentAt));
        }

        private Flux<T> afterFailure(Throwable error, Target target, Provider provider, ProviderGuard guard,
                int retry, KeyPool.Lease lease, long elapsed) {
            CircuitBreaker breaker = guard.breaker();
            if (error instanceof UpstreamException.RateLimited limited) {
                breaker.releasePermission();
                guard.meters().attempt(Outcome.RATE_LIMITED);
                guard.meters().cooldown();
                lease.coolDown(cooldown(limited.retryAfter()), limited.everyModel());
                remember(limited);
                return tries(target, provider, guard, retry);
            }
            if (error instanceof UpstreamException.AuthRejected rejected) {
                breaker.releasePermission();
                guard.meters().attempt(Outcome.AUTH_REJECTED);
                remember(rejected);
                return Flux.deferContextual(context -> {
                    RequestLogContext.log(context, lease::disable); // warns, naming this request
                    return tries(target, provider, guard, retry);
                });
            }
            if (error instanceof UpstreamException.Unsupported unsupported) {
                // Never sent, so no call: this protocol cannot say what the caller asked; the next target's may.
                breaker.releasePermission();
                listener.withdrawn();
                guard.meters().skip(Skip.UNSUPPORTED);
                return Flux.error(unsupported);
            }
            if (error instanceof UpstreamException.Rejected) {
                // The request itself is at fault: another key or provider would refuse it too.
                breaker.releasePermission();
                guard.meters().attempt(Outcome.REJECTED);
                return Flux.error(error);
            }
            if (error instanceof UpstreamException upstream) {
                breaker.onError(elapsed, TimeUnit.NANOSECONDS, upstream);
                guard.meters().attempt(upstream instanceof UpstreamException.TimedOut ? Outcome.TIMED_OUT
                        : upstream instanceof UpstreamException.StreamBroken ? Outcome.BROKEN : Outcome.UNAVAILABLE);
                if (retry < properties.retries()) {
                    listener.upstreamStarted();
                    return Mono.delay(backoff.before(retry))
                            .thenMany(Flux.defer(() -> tries(target, provider, guard, retry + 1)));
                }
                return Flux.error(upstream);
            }
            breaker.releasePermission();
            return Flux.error(error);
        }

        /**
         * Keeps the most telling failure: an upstream fault over a target passed over (which may serve again soon) over
         * a request a target's protocol could not express (which says most only when no target could).
         */
        private void remember(RuntimeException error) {
            if (telling(error) >= telling(failure)) {
                failure = error;
            }
        }

        private GatewayException toClientError() {
            if (failure instanceof UpstreamException.Unsupported unsupported) {
                return new GatewayException(ErrorCode.UNSUPPORTED_PARAMETER, unsupported.getMessage(),
                        unsupported.parameter(), null);
            }
            if (failure instanceof PassedOver || failure == null) {
                return new GatewayException(ErrorCode.OVERLOADED, "Every provider for '" + route.name()
                        + "' is at capacity or resting; try again shortly", null, OVERLOADED_RETRY_AFTER);
            }
            if (failure instanceof UpstreamException.TimedOut) {
                return new GatewayException(ErrorCode.UPSTREAM_TIMEOUT, "No provider for '" + route.name()
                        + "' answered in time: " + failure.getMessage());
            }
            // The detail is the operator's (logged): providers echo part of the key, name their hosts, bill.
            String reason = failure instanceof UpstreamException.AuthRejected ? "rejected the gateway's credentials"
                    : failure instanceof UpstreamException.RateLimited ? "rate limited every key"
                    : failure instanceof UpstreamException.StreamBroken ? "the reply broke off"
                    : "unavailable";
            return new GatewayException(ErrorCode.UPSTREAM_FAILED, "No provider could serve '" + route.name()
                    + "' (last: " + lastTried + ", " + reason + ")");
        }
    }

    /** How long a key rests after a 429: what it asked, within one second and {@code max-retry-after}. */
    private Duration cooldown(Duration retryAfter) {
        Duration rest = retryAfter == null ? properties.keyCooldown() : retryAfter;
        if (rest.compareTo(properties.maxRetryAfter()) > 0) {
            rest = properties.maxRetryAfter();
        }
        return rest.compareTo(MIN_COOLDOWN) < 0 ? MIN_COOLDOWN : rest;
    }

    /** How much {@code error} says of why a request was not served: see {@code Walk.remember}. */
    private static int telling(RuntimeException error) {
        if (error == null || error instanceof UpstreamException.Unsupported) {
            return 0;
        }
        return error instanceof PassedOver ? 1 : UPSTREAM_FAULT;
    }

    /** Whether a failure before the first token should move on to the next target. */
    private static boolean fallsBack(Throwable error) {
        return error instanceof PassedOver
                || (error instanceof UpstreamException && !(error instanceof UpstreamException.Rejected));
    }

    /** Prompt characters over four, plus the reply's maximum: the usual estimate before a tokenizer has run. */
    private static long estimateTokens(ChatRequest request) {
        long chars = 0;
        for (ChatMessage message : request.messages()) {
            chars += message.content() == null ? 0 : message.content().length();
        }
        Integer maxTokens = request.reply().maxTokens();
        return chars / 4 + (maxTokens == null ? 0 : (long) maxTokens * request.reply().choiceCount());
    }

    /** A target passed over without a call; never leaves the router. */
    private static final class PassedOver extends RuntimeException {
        private final Skip reason;

        PassedOver(Skip reason) {
            super(reason.name(), null, false, false);
            this.reason = reason;
        }
    }
}
