package dev.sluice.gateway.spend;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.llm.ReplyCost;
import dev.sluice.gateway.routing.Route;
import dev.sluice.gateway.routing.Target;

/**
 * What {@link CallCosts} and {@link Spending} read of a call (a chat on any API, or embeddings) once it has ended: the
 * request's own record, so that it allocates nothing for spend, and where its cost is kept once worked out.
 */
public interface MeteredCall extends ReplyCost {

    /** {@code chat} or {@code embeddings}, as {@code usage_records.kind} stores it. */
    String kind();

    Caller caller();

    /** The end user the caller named for this call, or {@code null}. */
    String endUser();

    /** The model name asked for. */
    String model();

    /** Where the model name led, or {@code null} when the request was refused before. */
    Route route();

    /** The target this request called itself (or tried last), or {@code null}. */
    Target target();

    /** The {@code provider/model} behind a cached or shared reply, when this request made no call, else {@code null}. */
    String providerElsewhere();

    /** Sluice's estimate of the input tokens, for a call whose provider reported no usage: read only then. */
    long estimatedInputTokens();

    /** The call's own, empty until {@link CallCosts} first works out what it cost. */
    MemoisedCost cost();
}
