package dev.sluice.gateway.quota;

import java.time.Duration;
import java.time.LocalDate;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ReplyCost;
import dev.sluice.gateway.llm.TokenEstimate;
import reactor.core.publisher.Mono;

/**
 * One request's hold on its user's quota, from the reservation to its settlement: a ticket from this replica's block
 * of the user's quota, decided at once, or the answer of the database ({@link QuotaBlocks}).
 * <p>
 * The reservation's UPDATE runs to the end even if the client hangs up meanwhile, or the wait for it times out:
 * cancelling it half-way would leave us not knowing whether the database counted it. {@link #end} therefore settles
 * whenever the reservation was granted, however late the answer comes, and {@code Flux.using} calls {@code end}
 * exactly once per request.
 * <p>
 * What a request costs, read from its {@link ReplyCost} when it ends: the provider's own count when its stream
 * reported usage; otherwise the estimated prompt plus a quarter token per character streamed; the estimated prompt
 * alone when no output came back but the request went upstream (the caller hung up, or the call failed or timed
 * out, before the first token: the provider read the prompt all the same); and nothing when it never left the
 * gateway. The request itself counts either way: it was let through.
 */
final class Reservation {

    private final UUID user;
    private final LocalDate day;
    private final long promptTokens;
    private final ReplyCost cost;
    private final CompletableFuture<QuotaBlocks.Admission> grant;

    private Reservation(UUID user, LocalDate day, long promptTokens, ReplyCost cost,
            CompletableFuture<QuotaBlocks.Admission> grant) {
        this.user = user;
        this.day = day;
        this.promptTokens = promptTokens;
        this.cost = cost;
        this.grant = grant;
    }

    /**
     * Starts reserving the prompt and up to {@code replyTokens} at once, detached from whoever waits for the answer
     * (see the class comment). {@code cost} says, once the request is over, what its reply cost.
     */
    static Reservation open(QuotaBlocks blocks, UUID user, LocalDate day, long promptTokens, long replyTokens,
            ReplyCost cost) {
        QuotaBlocks.Ticket ticket = blocks.admit(user, day, promptTokens, replyTokens);
        return new Reservation(user, day, promptTokens, cost, ticket != null
                ? CompletableFuture.completedFuture(QuotaBlocks.Admission.of(ticket))
                : blocks.reserve(user, day, promptTokens, replyTokens).toFuture());
    }

    /**
     * The database's answer, empty when there is no such user; a {@link java.util.concurrent.TimeoutException} past
     * {@code timeout}. Neither a cancel nor the timeout stops the reservation itself.
     */
    Mono<QuotaBlocks.Admission> granted(Duration timeout) {
        return grant.isDone() ? Mono.fromFuture(grant, true) : Mono.fromFuture(grant, true).timeout(timeout);
    }

    /** The tokens to charge, by the rules in the class comment. */
    long actualTokens() {
        ChatChunk.Usage reported = cost.usage();
        if (reported != null) {
            return reported.totalTokens();
        }
        long chars = cost.replyChars();
        if (chars > 0) {
            return promptTokens + TokenEstimate.ofChars(chars);
        }
        return cost.promptSent() ? promptTokens : 0;
    }

    /** The request is over (completed, failed or cancelled): its ticket, if, and once, it got one, is given back. */
    void end() {
        grant.whenComplete((admission, failure) -> {
            if (admission != null && admission.ticket() != null) {
                admission.ticket().end(actualTokens());
            }
        });
    }

    UUID user() {
        return user;
    }

    LocalDate day() {
        return day;
    }

    long promptTokens() {
        return promptTokens;
    }
}
