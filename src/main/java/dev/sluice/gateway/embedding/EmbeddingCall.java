package dev.sluice.gateway.embedding;

import dev.sluice.gateway.accesslog.AccessRecord;
import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.routing.Route;
import dev.sluice.gateway.routing.RoutingTally;
import dev.sluice.gateway.spend.MemoisedCost;
import dev.sluice.gateway.spend.MeteredCall;

/**
 * One embeddings request on its way through the gateway: who asks, what, along which route, and what the router
 * tells of its calls. The quota and the budgets settle from it, spend, the access line and the request metrics read
 * it, the response headers are written from it.
 */
final class EmbeddingCall extends RoutingTally implements AccessRecord.Chat, MeteredCall {

    private final Caller caller;
    private final EmbeddingRequest request;
    private final String endUser;
    private final MemoisedCost cost = new MemoisedCost();
    private volatile Route route;
    private volatile EmbeddingReply reply;

    /** @param endUser the end user the request is made for ({@code EndUsers}), or {@code null} */
    EmbeddingCall(Caller caller, EmbeddingRequest request, String endUser) {
        super(System.nanoTime());
        this.caller = caller;
        this.request = request;
        this.endUser = endUser;
    }

    @Override
    public Caller caller() {
        return caller;
    }

    /** The end user the caller named, with {@code sluice.auth.end-users.enabled}; {@code null} otherwise. */
    @Override
    public String endUser() {
        return endUser;
    }

    EmbeddingRequest request() {
        return request;
    }

    /** Where the model name leads, once found. */
    void route(Route found) {
        route = found;
    }

    @Override
    public Route route() {
        return route;
    }

    /** A provider answered. */
    void replied(EmbeddingReply answer) {
        reply = answer;
    }

    /** The input tokens to tell the caller: the provider's count, else Sluice's estimate. */
    int promptTokens() {
        EmbeddingReply answer = reply;
        return answer != null && answer.promptTokens() != null ? answer.promptTokens()
                : (int) Math.min(Integer.MAX_VALUE, request.input().estimatedTokens());
    }

    @Override
    public String model() {
        return request.model();
    }

    @Override
    public String metricModel() {
        Route found = route;
        return found == null ? null : found.listed() ? found.name() : Route.OTHER;
    }

    @Override
    public long firstTokenAt() {
        return 0;
    }

    /** The usage the provider reported, or {@code null}: then the quota charges the estimate. */
    @Override
    public ChatChunk.Usage usage() {
        EmbeddingReply answer = reply;
        return answer == null || answer.promptTokens() == null ? null : new ChatChunk.Usage(answer.promptTokens(), 0);
    }

    /** Embeddings stream no text. */
    @Override
    public long replyChars() {
        return 0;
    }

    @Override
    public String kind() {
        return "embeddings";
    }

    /** Embeddings are not cached. */
    @Override
    public String providerElsewhere() {
        return null;
    }

    @Override
    public long estimatedInputTokens() {
        return request.input().estimatedTokens();
    }

    @Override
    public MemoisedCost cost() {
        return cost;
    }
}
