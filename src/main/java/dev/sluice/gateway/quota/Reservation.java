package dev.sluice.gateway.quota;

import java.time.LocalDate;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import dev.sluice.gateway.chat.ChatChunk;
import reactor.core.publisher.Mono;

/**
 * One request's hold on its user's quota, from the reservation to its settlement.
 * <p>
 * The reservation's UPDATE runs to the end even if the client hangs up meanwhile: cancelling it half-way would
 * leave us not knowing whether the database counted it. {@link #end} therefore settles whenever the reservation
 * was granted, however late the answer comes, and {@code Flux.using} calls {@code end} exactly once per request.
 * <p>
 * What a request costs: the provider's own count when its stream reported usage; otherwise the estimated prompt
 * plus a quarter token per character streamed; and nothing when no output reached the caller at all (the call
 * failed, or the caller hung up, before the first token), since it got nothing for it. The request itself counts
 * either way: it was let through.
 */
final class Reservation {

    private final UUID user;
    private final LocalDate day;
    private final long promptTokens;
    private final long estimate;
    private final CompletableFuture<Boolean> granted;
    // Written by the stream's serialised signals, read once by end(), possibly on the thread of a cancel.
    private volatile long replyChars;
    private volatile ChatChunk.Usage usage;

    private Reservation(UUID user, LocalDate day, long promptTokens, long estimate, CompletableFuture<Boolean> granted) {
        this.user = user;
        this.day = day;
        this.promptTokens = promptTokens;
        this.estimate = estimate;
        this.granted = granted;
    }

    /** Starts reserving at once, detached from whoever waits for the answer (see the class comment). */
    static Reservation open(QuotaLedger ledger, UUID user, LocalDate day, long promptTokens, long estimate) {
        return new Reservation(user, day, promptTokens, estimate, ledger.reserve(user, day, estimate).toFuture());
    }

    /** Whether the request fits in the quota; a cancel of this Mono leaves the reservation running. */
    Mono<Boolean> granted() {
        return Mono.fromFuture(granted, true);
    }

    /** Notes what the reply has cost so far. */
    void observe(ChatChunk chunk) {
        if (chunk instanceof ChatChunk.TextDelta text) {
            replyChars += text.text().length();
        }
        else if (chunk instanceof ChatChunk.ToolCallDelta call) {
            replyChars += length(call.name()) + length(call.argumentsDelta());
        }
        else if (chunk instanceof ChatChunk.Usage reported) {
            usage = reported;
        }
    }

    /** The tokens to charge, by the rules in the class comment. */
    long actualTokens() {
        ChatChunk.Usage reported = usage;
        if (reported != null) {
            return reported.totalTokens();
        }
        long chars = replyChars;
        return chars == 0 ? 0 : promptTokens + (chars + 3) / 4;
    }

    /** The request is over (completed, failed or cancelled): settle it if, and once, it was granted. */
    void end(Settlements settlements) {
        granted.whenComplete((ok, failure) -> {
            if (Boolean.TRUE.equals(ok)) {
                settlements.settle(user, day, estimate, actualTokens());
            }
        });
    }

    UUID user() {
        return user;
    }

    LocalDate day() {
        return day;
    }

    long estimate() {
        return estimate;
    }

    private static int length(String text) {
        return text == null ? 0 : text.length();
    }
}
