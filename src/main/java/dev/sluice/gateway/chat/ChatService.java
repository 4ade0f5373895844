package dev.sluice.gateway.chat;

import java.util.List;
import java.util.UUID;

import dev.sluice.gateway.accesslog.AccessLog;
import dev.sluice.gateway.budget.Budgets;
import dev.sluice.gateway.cache.ReplyCache;
import dev.sluice.gateway.conversation.Turn;
import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatReply;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.quota.DailyQuota;
import dev.sluice.gateway.ratelimit.CallerLimits;
import dev.sluice.gateway.routing.GatewayOverhead;
import dev.sluice.gateway.routing.ModelCatalog;
import dev.sluice.gateway.routing.Route;
import dev.sluice.gateway.routing.Router;
import dev.sluice.gateway.spend.CallCost;
import dev.sluice.gateway.spend.Spending;
import dev.sluice.gateway.web.GatewayException;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The chat use case behind every API: check the request, find its route, stream the reply through the stages. The
 * stages are composed here once, for every edge: the daily quota, the USD budgets, the response cache, the router, the
 * reply size limit, and one {@link TallyOperator} that tallies each chunk for all of them; when the reply ends, the
 * quota and the budgets settle, the cache stores, the call's cost is recorded, the turn goes to history and the access
 * line and metrics are written, each from the tally.
 */
@Service
public class ChatService {

    private final ModelCatalog models;
    private final Router router;
    private final ChatProperties limits;
    private final DailyQuota quota;
    private final Budgets budgets;
    private final ReplyCache cache;
    private final GatewayOverhead overhead;
    private final CallerLimits callerLimits;
    private final Spending spending;

    public ChatService(ModelCatalog models, Router router, ChatProperties limits, DailyQuota quota, Budgets budgets,
            ReplyCache cache, GatewayOverhead overhead, CallerLimits callerLimits, Spending spending) {
        this.callerLimits = callerLimits;
        this.models = models;
        this.router = router;
        this.limits = limits;
        this.quota = quota;
        this.budgets = budgets;
        this.cache = cache;
        this.overhead = overhead;
        this.spending = spending;
    }

    /**
     * Streams the reply. Bad requests and unknown models fail here, before anything is sent upstream, so that the API
     * edge can still answer with a plain 4xx; so does a model the caller may not use (a direct one, or one outside its
     * key's models), as the stream starts, and then a spent end user's or key's tokens-a-minute budget (the key's
     * tokens settled to the real usage when the reply ends).
     * The turn, if any, offers the caller's messages to history here, once the request is known to be servable. The
     * caller's daily quota is charged next (a 429 when it is spent, and then nothing goes upstream), which caps the
     * reply ({@code max_tokens} or {@code max_completion_tokens}) to what it reserved, and settled to the real usage
     * when the stream ends. The caller's USD budgets come next: the worst case is held on each (a 429 naming the budget
     * when one has no room) and settled to the real cost. The response cache comes after both, so that a cached reply
     * counts against the quota like a live one (one request, and the tokens of the reply replayed), but costs no money
     * (its budgets settle to nothing), and before the router, which it spares on a hit. A reply
     * past {@code max-reply-bytes} is stopped.
     */
    public Flux<ChatChunk> stream(ChatCall call) {
        return reply(call, false);
    }

    /** The same, as one whole reply assembled by the tally, for callers that did not ask to stream. */
    public Mono<ChatReply> reply(ChatCall call) {
        return reply(call, true).then(Mono.fromSupplier(call.tally()::reply));
    }

    private Flux<ChatChunk> reply(ChatCall call, boolean whole) {
        ChatRequest request = call.request();
        checkLimits(request.messages());
        Route route = models.resolve(request.model());
        call.route(route);
        Tally tally = call.tally();
        Turn turn = call.turn();
        if (turn != null) {
            turn.start(request.model());
        }
        if (whole || turn != null) {
            tally.keepWholeReply();
        }
        UUID user = call.caller().id();
        Flux<ChatChunk> reply = models.permit(call.caller(), route).thenMany(callerLimits.meter(call, request, () ->
                quota.meter(user, request, tally, capped -> budgets.meter(call, route, capped, held ->
                        cache.serve(held, user, call.cacheDirectives(), tally, () -> {
                            tally.routed();
                            return ReplySizeLimit.apply(router.stream(route, held, whole, tally), limits.maxReplyBytes(), route.name());
                        })))));
        return new TallyOperator(reply, tally, context -> AccessLog.chat(context, request, call), () -> ended(call));
    }

    /** The reply has ended, however: what spend, history and the metrics keep of it. Quota and cache end in their stages. */
    private void ended(ChatCall call) {
        Tally tally = call.tally();
        CallCost cost = spending.ended(call);
        if (call.turn() != null) {
            call.turn().end(tally, cost == null ? null : cost.usd(), cost == null ? null : cost.estimated());
        }
        overhead.record(tally);
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
