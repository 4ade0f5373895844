package dev.sluice.gateway.chat;

import dev.sluice.gateway.accesslog.AccessRecord;
import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.cache.CacheDirectives;
import dev.sluice.gateway.conversation.Turn;
import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.TokenEstimate;
import dev.sluice.gateway.routing.Route;
import dev.sluice.gateway.routing.Target;
import dev.sluice.gateway.spend.MemoisedCost;
import dev.sluice.gateway.spend.MeteredCall;

/**
 * One chat request on its way through the gateway: who asks (and for which end user), what, with which
 * {@code Cache-Control}, in which conversation turn (if any), along which route, and the {@link Tally} of its reply. An API edge builds it and
 * encodes what {@link ChatService} streams for it; everything else that is per request lives here, not in
 * parameters, the Reactor context or the exchange's attributes. The access line, spend and the budgets read it when it ends.
 */
public final class ChatCall implements AccessRecord.Chat, MeteredCall {

    private final Caller caller;
    private final ChatRequest request;
    private final CacheDirectives cacheDirectives;
    private final Turn turn;
    private final String endUser;
    private final Tally tally = new Tally(System.nanoTime());
    private final MemoisedCost cost = new MemoisedCost();
    private volatile Route route;

    /**
     * @param caller who asks; {@link Caller#ANONYMOUS} when the request has no caller (no security at all)
     * @param cacheDirectives what the request's {@code Cache-Control} asks of the cache
     * @param turn the conversation turn the reply belongs to, or {@code null} when it is not history
     * @param endUser the end user the request is made for ({@code EndUsers}), or {@code null}
     */
    public ChatCall(Caller caller, ChatRequest request, CacheDirectives cacheDirectives, Turn turn, String endUser) {
        this.caller = caller;
        this.request = request;
        this.cacheDirectives = cacheDirectives;
        this.turn = turn;
        this.endUser = endUser;
    }

    @Override
    public Caller caller() {
        return caller;
    }

    public ChatRequest request() {
        return request;
    }

    public CacheDirectives cacheDirectives() {
        return cacheDirectives;
    }

    /** The turn, or {@code null}. */
    public Turn turn() {
        return turn;
    }

    /** The end user the caller named, with {@code sluice.auth.end-users.enabled}; {@code null} otherwise. */
    @Override
    public String endUser() {
        return endUser;
    }

    public Tally tally() {
        return tally;
    }

    /** Where the model name leads, once {@link ChatService} has found it; {@code null} before. */
    @Override
    public Route route() {
        return route;
    }

    void route(Route found) {
        route = found;
    }

    // --- what the access line and the request metrics read when the request ends

    @Override
    public String model() {
        return request.model();
    }

    @Override
    public String metricModel() {
        Route found = route;
        return found.listed() ? found.name() : Route.OTHER;
    }

    @Override
    public String servedBy() {
        return tally.servedBy();
    }

    @Override
    public long firstTokenAt() {
        return tally.firstTokenAt();
    }

    @Override
    public ChatChunk.Usage usage() {
        return tally.usage();
    }

    // --- what spend and the budgets read when the request ends

    @Override
    public String kind() {
        return "chat";
    }

    @Override
    public Target target() {
        return tally.target();
    }

    @Override
    public String providerElsewhere() {
        return tally.providerElsewhere();
    }

    @Override
    public long replyChars() {
        return tally.replyChars();
    }

    @Override
    public boolean promptSent() {
        return tally.promptSent();
    }

    @Override
    public long estimatedInputTokens() {
        return TokenEstimate.input(request);
    }

    @Override
    public MemoisedCost cost() {
        return cost;
    }
}
