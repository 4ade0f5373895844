package dev.sluice.gateway.quota;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.function.Supplier;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.ReplyCost;
import dev.sluice.gateway.llm.TokenEstimate;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataIntegrityViolationException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Daily quotas per user, requests and tokens, reset at 00:00 UTC and kept in the database so that every replica
 * enforces the same count. A chat request reserves one request, an estimate of every input field and a reply cap
 * before anything goes upstream; the cap (the request's {@code max_tokens} or {@code max_completion_tokens} for each
 * of its {@code n} choices, else {@code reply-allowance}, and never more than the tokens left today) is what it sends
 * upstream, under the name the caller gave it, so that the reply cannot spend past what was reserved. It settles to
 * the real usage when its stream ends, however it ends. A request whose reply has no tokens of its own (embeddings)
 * reserves its input the same way, and settles to the provider's count of it.
 * <p>
 * While the database cannot answer (unreachable, or slower than {@code reservation-timeout}), quotas fail closed
 * beyond a small allowance per replica: see {@link StoreOutage}.
 */
public class DailyQuota {

    /** Long enough for a pool to reconnect, short enough that a client does not give up. */
    private static final Duration STORE_RETRY_AFTER = Duration.ofSeconds(5);

    private final QuotaLedger ledger;
    private final QuotaBlocks blocks;
    private final QuotaProperties properties;
    private final Clock clock;
    private final StoreOutage outage;
    private final Counter requestRejections;
    private final Counter tokenRejections;
    private volatile Consumer<UUID> limitChanges = user -> { };

    DailyQuota(QuotaLedger ledger, QuotaBlocks blocks, QuotaProperties properties, Clock clock, MeterRegistry registry) {
        this.ledger = ledger;
        this.blocks = blocks;
        this.properties = properties;
        this.clock = clock;
        this.outage = new StoreOutage(properties.outageAllowance(), clock, registry);
        this.requestRejections = rejections(registry, "requests");
        this.tokenRejections = rejections(registry, "tokens");
    }

    /**
     * The reply, metered against {@code user}'s quota: {@code reply} is called, with the request capped to the
     * reply tokens reserved for it, only once the quota has room for the request, and the reservation is settled
     * when the reply completes, fails or is cancelled, to what {@code cost} (the request's tally) says then. With
     * quotas switched off, the reply to the request as it is: no lookup, no database round trip.
     */
    public Flux<ChatChunk> meter(UUID user, ChatRequest request, ReplyCost cost, Function<ChatRequest, Flux<ChatChunk>> reply) {
        if (!properties.enabled()) {
            return Flux.defer(() -> reply.apply(request));
        }
        Integer maxTokens = request.reply().maxTokens();
        int choices = request.reply().choiceCount();
        long replyCap = (maxTokens == null ? properties.replyAllowance() : Math.max(1, maxTokens)) * (long) choices;
        // Each choice may take its share of what was reserved.
        return reserved(user, TokenEstimate.input(request), replyCap, cost, replyTokens -> reply.apply(
                request.withMaxTokens(Math.toIntExact(Math.max(1, replyTokens / choices)))));
    }

    /**
     * The reply to a request that is not a chat and whose reply costs no tokens of its own (embeddings), metered the
     * same way: one request and its input, estimated as {@code inputTokens}, are reserved (with the one reply token
     * every reservation holds), and settled to what {@code cost} says when the reply ends.
     */
    public <T> Flux<T> meter(UUID user, long inputTokens, ReplyCost cost, Supplier<Flux<T>> reply) {
        if (!properties.enabled()) {
            return Flux.defer(reply);
        }
        return reserved(user, inputTokens, 1, cost, replyTokens -> reply.get());
    }

    /** {@code reply}, given the reply tokens reserved, once the quota has room for the request; settled as it ends. */
    private <T> Flux<T> reserved(UUID user, long promptTokens, long replyCap, ReplyCost cost, LongFunction<Flux<T>> reply) {
        return Flux.using(
                () -> Reservation.open(blocks, user, today(), promptTokens, replyCap, cost),
                reservation -> reservation.granted(properties.reservationTimeout())
                        // recovered() before the fallback: an answer from the database ends an outage, the fallback's does not.
                        .doOnNext(admission -> outage.recovered())
                        .switchIfEmpty(Mono.error(DailyQuota::noSuchAccount))
                        .<Long>handle((admission, sink) -> {
                            if (admission.ticket() != null) {
                                sink.next(admission.ticket().replyTokens());
                            }
                            else {
                                sink.error(refused(admission.refusedBy(), reservation));
                            }
                        })
                        .onErrorResume(DailyQuota::storeUnreachable,
                                failure -> Mono.fromCallable(() -> withoutStore(promptTokens, replyCap, failure)))
                        .onErrorMap(DataAccessException.class, failure -> noSuchAccount())
                        .flatMapMany(reply::apply),
                Reservation::end);
    }

    /** The user's usage and limits today; empty when there is no such user. Quotas off: {@link QuotaStatus#DISABLED}. */
    public Mono<QuotaStatus> status(UUID user) {
        if (!properties.enabled()) {
            return Mono.just(QuotaStatus.DISABLED);
        }
        LocalDate day = today();
        return ledger.usage(user, day).map(usage -> QuotaStatus.of(spent(usage, blocks.held(user, day)), resetsAt(day)));
    }

    /**
     * The database's counts less what this replica holds in blocks and has not spent, plus what its requests used
     * that the blocks settle later. Other replicas' blocks still count as spent until they go back (idle or term).
     */
    private static QuotaLedger.DailyUsage spent(QuotaLedger.DailyUsage usage, QuotaBlocks.Held held) {
        return new QuotaLedger.DailyUsage(usage.requests() - held.unusedRequests(), usage.tokens() + held.charged(),
                usage.reservedTokens() - held.blockTokens() + held.reservedInFlight(), usage.requestLimit(),
                usage.tokenLimit());
    }

    /**
     * An admin gave the user other limits: the blocks this replica took under the old ones go back, and the other
     * replicas are told to do the same (with Redis; without, theirs go back within {@code blocks.term}).
     */
    public void limitsChanged(UUID user) {
        blocks.forget(user);
        limitChanges.accept(user);
    }

    /** Who hears of limits changed here; one listener (the Redis channel to the other replicas). */
    void onLimitsChanged(Consumer<UUID> listener) {
        this.limitChanges = listener;
    }

    /** Another replica changed the user's limits: this replica's blocks go back. */
    void limitsChangedElsewhere(UUID user) {
        blocks.forget(user);
    }

    LocalDate today() {
        return LocalDate.now(clock.withZone(ZoneOffset.UTC));
    }

    /** The next 00:00 UTC after {@code day} began: when its counts stop applying. */
    static Instant resetsAt(LocalDate day) {
        return day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    /** A 429 that says which quota is spent and waits until the reset. */
    private GatewayException refused(QuotaLedger.DailyUsage usage, Reservation reservation) {
        Instant resetsAt = resetsAt(reservation.day());
        Duration retryAfter = Duration.ofSeconds(Math.max(1, (Duration.between(clock.instant(), resetsAt).toMillis() + 999) / 1000));
        String detail;
        if (usage.requestsUsedUp()) {
            requestRejections.increment();
            detail = "Daily request quota used up: " + usage.requests() + " of " + usage.requestLimit()
                    + " requests today; it resets at " + resetsAt;
        }
        else {
            tokenRejections.increment();
            long left = Math.max(0, usage.tokenLimit() - usage.tokens() - usage.reservedTokens());
            detail = "Daily token quota exceeded: this request's input takes about " + reservation.promptTokens()
                    + " tokens and " + left + " of " + usage.tokenLimit() + " are left today"
                    + (left > 0 ? "; shorten the prompt, the tools or the schemas" : "")
                    + "; it resets at " + resetsAt;
        }
        return new GatewayException(ErrorCode.RATE_LIMITED, detail, null, retryAfter);
    }

    /** The database could not be asked, or did not answer in time: not an answer about the quota. */
    private static boolean storeUnreachable(Throwable failure) {
        return failure instanceof TimeoutException
                || (failure instanceof DataAccessException && !(failure instanceof DataIntegrityViolationException));
    }

    /** The request on the outage allowance, or a 503 past it: quotas fail closed. */
    private long withoutStore(long promptTokens, long replyCap, Throwable failure) {
        long cap = outage.admit(promptTokens, replyCap, failure);
        if (cap < 1) {
            throw new GatewayException(ErrorCode.STORE_UNAVAILABLE, "Quota store unavailable: daily quotas cannot be checked "
                    + "right now, try again shortly", null, STORE_RETRY_AFTER);
        }
        return cap;
    }

    /** Whether the last reservation found the database unable to answer. */
    boolean degraded() {
        return outage.ongoing();
    }

    /** The day's row refers to the account: it was deleted while its credentials were still valid. */
    private static GatewayException noSuchAccount() {
        return new GatewayException(ErrorCode.UNAUTHORIZED, "This account no longer exists");
    }

    private static Counter rejections(MeterRegistry registry, String quota) {
        return Counter.builder("sluice.quota.rejections").description("Chat and embeddings requests refused by a daily quota")
                .tag("quota", quota).register(registry);
    }
}
