package dev.sluice.gateway.chat;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.sluice.gateway.accesslog.AccessLog;
import dev.sluice.gateway.cache.CacheRequest;
import dev.sluice.gateway.cache.ReplyCache;
import dev.sluice.gateway.quota.DailyQuota;
import dev.sluice.gateway.routing.ModelCatalog;
import dev.sluice.gateway.routing.Route;
import dev.sluice.gateway.routing.RouteTrace;
import dev.sluice.gateway.routing.Router;
import dev.sluice.gateway.web.GatewayException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Flux;

/** The chat use case behind both APIs: check the request, find its route, stream the reply. */
@Service
public class ChatService {

    private final ModelCatalog models;
    private final Router router;
    private final ChatProperties limits;
    private final DailyQuota quota;
    private final ReplyCache cache;
    private final Timer overhead;

    public ChatService(ModelCatalog models, Router router, ChatProperties limits, DailyQuota quota, ReplyCache cache,
            MeterRegistry registry) {
        this.models = models;
        this.router = router;
        this.limits = limits;
        this.quota = quota;
        this.cache = cache;
        this.overhead = Timer.builder("sluice.gateway.overhead")
                .description("Time a routed request spent in the gateway itself, upstream waiting excluded")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(1))
                .register(registry);
    }

    /**
     * Streams the reply. Bad requests and unknown models fail here, before anything is sent upstream,
     * so that the API edge can still answer with a plain 4xx; so does a direct model the caller may not use, as
     * the stream starts. The caller's daily quota is charged next (a 429 when it is spent, and then nothing goes
     * upstream), which caps the reply ({@code max_tokens}) to what it reserved, and settled to the real usage when
     * the stream ends. A reply past {@code max-reply-bytes} is stopped.
     */
    public Flux<ChatChunk> stream(ChatRequest request, RouteTrace trace) {
        return stream(request, trace, CacheRequest.none());
    }

    /**
     * The same, through the response cache: after the quota, so that a cached reply counts like a live one (one
     * request, and the tokens of the reply replayed), and before the router, which it spares on a hit.
     */
    public Flux<ChatChunk> stream(ChatRequest request, RouteTrace trace, CacheRequest cacheRequest) {
        checkLimits(request.messages());
        Route route = models.resolve(request.model());
        return models.permit(route).thenMany(AccessLog.observe(request, route.listed() ? route.name() : Route.OTHER, trace,
                quota.meter(request, () -> trace.attempts() > 0,
                        capped -> cache.serve(capped, cacheRequest, trace, () -> ReplySizeLimit.apply(
                                router.stream(route, capped, trace)
                                        .doFinally(signal -> overhead.record(trace.overheadNanos(), TimeUnit.NANOSECONDS)),
                                limits.maxReplyBytes(), route.name())))));
    }

    private void checkLimits(List<ChatMessage> messages) {
        if (messages.size() > limits.maxMessages()) {
            throw GatewayException.invalid("messages", messages.size() + " messages, over the limit of " + limits.maxMessages());
        }
        long chars = 0;
        for (ChatMessage message : messages) {
            chars += message.content() == null ? 0 : message.content().length();
        }
        if (chars > limits.maxContentChars()) {
            throw GatewayException.invalid("messages", chars + " characters of content, over the limit of " + limits.maxContentChars());
        }
    }
}
