package dev.sluice.gateway.quota;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.chat.ChatChunk;
import dev.sluice.gateway.chat.ChatMessage;
import dev.sluice.gateway.chat.ChatRequest;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataIntegrityViolationException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Daily quotas per user, requests and tokens, reset at 00:00 UTC and kept in the database so that every replica
 * enforces the same count. A chat request reserves one request and an estimate of its tokens before anything goes
 * upstream, and settles to its real usage when its stream ends, however it ends.
 */
public class DailyQuota {

    private static final Log logger = LogFactory.getLog(DailyQuota.class);

    private final QuotaLedger ledger;
    private final Settlements settlements;
    private final QuotaProperties properties;
    private final Clock clock;
    private final Counter requestRejections;
    private final Counter tokenRejections;
    private final Counter unenforced;
    private final AtomicBoolean degraded = new AtomicBoolean();

    DailyQuota(QuotaLedger ledger, Settlements settlements, QuotaProperties properties, Clock clock, MeterRegistry registry) {
        this.ledger = ledger;
        this.settlements = settlements;
        this.properties = properties;
        this.clock = clock;
        this.requestRejections = rejections(registry, "requests");
        this.tokenRejections = rejections(registry, "tokens");
        this.unenforced = Counter.builder("sluice.quota.unenforced")
                .description("Chat requests let through uncounted while the quota database was unreachable")
                .register(registry);
    }

    /**
     * The reply, metered against the calling user's quota: {@code reply} is subscribed only once the quota has
     * room for the request, and the reservation is settled when the reply completes, fails or is cancelled. A
     * request with no caller in its context (no security at all) runs as the anonymous user. With quotas switched
     * off, the reply as it is: no lookup, no database round trip.
     */
    public Flux<ChatChunk> meter(ChatRequest request, Flux<ChatChunk> reply) {
        if (!properties.enabled()) {
            return reply;
        }
        return Caller.current()
                .map(Caller::id)
                .defaultIfEmpty(Caller.ANONYMOUS_ID)
                .flatMapMany(user -> meter(user, request, reply));
    }

    Flux<ChatChunk> meter(UUID user, ChatRequest request, Flux<ChatChunk> reply) {
        long promptTokens = promptTokens(request);
        long estimate = promptTokens + (request.maxTokens() == null ? properties.replyAllowance() : Math.max(0, request.maxTokens()));
        return Flux.using(
                () -> Reservation.open(ledger, user, today(), promptTokens, estimate),
                // recovered() before the fallback: an answer from the database ends an outage, the fallback's does not.
                reservation -> reservation.granted()
                        .doOnNext(granted -> recovered())
                        .onErrorResume(DailyQuota::storeUnreachable, this::unenforced)
                        .onErrorMap(DataAccessException.class, DailyQuota::storeFailure)
                        .flatMapMany(granted -> granted
                                ? reply.doOnNext(reservation::observe)
                                : refusal(reservation)),
                reservation -> reservation.end(settlements));
    }

    /** The user's usage and limits today; empty when there is no such user. Quotas off: {@link QuotaStatus#DISABLED}. */
    public Mono<QuotaStatus> status(UUID user) {
        if (!properties.enabled()) {
            return Mono.just(QuotaStatus.DISABLED);
        }
        LocalDate day = today();
        return ledger.usage(user, day).map(usage -> QuotaStatus.of(usage, resetsAt(day)));
    }

    LocalDate today() {
        return LocalDate.now(clock.withZone(ZoneOffset.UTC));
    }

    /** The next 00:00 UTC after {@code day} began: when its counts stop applying. */
    static Instant resetsAt(LocalDate day) {
        return day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    /** Prompt characters over four: the usual estimate before a tokenizer has run. */
    static long promptTokens(ChatRequest request) {
        long chars = 0;
        for (ChatMessage message : request.messages()) {
            chars += message.content() == null ? 0 : message.content().length();
        }
        return (chars + 3) / 4;
    }

    /** A 429 that says which quota is spent and waits until the reset; the counts are read only on this rare path. */
    private Flux<ChatChunk> refusal(Reservation reservation) {
        Instant resetsAt = resetsAt(reservation.day());
        long seconds = Math.max(1, (Duration.between(clock.instant(), resetsAt).toMillis() + 999) / 1000);
        return ledger.usage(reservation.user(), reservation.day())
                // Refused either way; only the message would have said which quota.
                .onErrorMap(DataAccessException.class, failure -> new GatewayException(ErrorCode.RATE_LIMITED,
                        "Daily quota used up; it resets at " + resetsAt, null, Duration.ofSeconds(seconds)))
                .switchIfEmpty(Mono.error(() -> new GatewayException(ErrorCode.UNAUTHORIZED, "This account no longer exists")))
                .flatMapMany(usage -> Flux.error(refused(usage, reservation.estimate(), resetsAt, Duration.ofSeconds(seconds))));
    }

    private GatewayException refused(QuotaLedger.DailyUsage usage, long estimate, Instant resetsAt, Duration retryAfter) {
        String detail;
        if (usage.requestsUsedUp()) {
            requestRejections.increment();
            detail = "Daily request quota used up: " + usage.requests() + " of " + usage.requestLimit()
                    + " requests today; it resets at " + resetsAt;
        }
        else {
            tokenRejections.increment();
            long left = Math.max(0, usage.tokenLimit() - usage.tokens() - usage.reservedTokens());
            detail = "Daily token quota exceeded: this request may use up to " + estimate + " tokens (prompt and max_tokens)"
                    + " and " + left + " of " + usage.tokenLimit() + " are left today"
                    + (estimate > usage.tokenLimit() ? "; lower max_tokens or shorten the prompt" : "")
                    + "; it resets at " + resetsAt;
        }
        return new GatewayException(ErrorCode.RATE_LIMITED, detail, null, retryAfter);
    }

    /** The database could not be asked: not an answer about the quota. */
    private static boolean storeUnreachable(Throwable failure) {
        return failure instanceof DataAccessException && !(failure instanceof DataIntegrityViolationException);
    }

    /**
     * While the database is unreachable, chats go on uncounted rather than stop: the per-user rate limit still
     * bounds what a user can spend meanwhile, and the outage is metered and logged once, not per request.
     */
    private Mono<Boolean> unenforced(Throwable failure) {
        unenforced.increment();
        if (degraded.compareAndSet(false, true)) {
            logger.warn("Daily quotas cannot be checked, chats go on uncounted until the database answers again: "
                    + failure.getMessage());
        }
        return Mono.just(Boolean.TRUE);
    }

    /** Whether the last reservation found the database unreachable. */
    boolean degraded() {
        return degraded.get();
    }

    private void recovered() {
        if (degraded.compareAndSet(true, false)) {
            logger.info("Daily quotas are checked again");
        }
    }

    private static GatewayException storeFailure(DataAccessException failure) {
        // The day's row refers to the account: it was deleted while its credentials were still valid.
        return new GatewayException(ErrorCode.UNAUTHORIZED, "This account no longer exists");
    }

    private static Counter rejections(MeterRegistry registry, String quota) {
        return Counter.builder("sluice.quota.rejections").description("Chat requests refused by a daily quota")
                .tag("quota", quota).register(registry);
    }
}
