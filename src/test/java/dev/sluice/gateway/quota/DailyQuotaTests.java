package dev.sluice.gateway.quota;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.ReplyCost;
import dev.sluice.gateway.llm.ReplyOptions;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Reserve, stream, settle: the quota around one chat reply, on H2. The clock stands 30 seconds before midnight
 * UTC; every test has users of its own (3 requests and 2,000 tokens a day, 100 tokens held for a reply without
 * max_tokens), and an outage lets 2 requests through.
 */
class DailyQuotaTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final QuotaDatabase H2 = QuotaDatabase.h2();
    private static final QuotaProperties LIMITS = TestQuotas.limits(3, 2_000, 100, true,
            new QuotaProperties.OutageAllowance(2, 1_000));
    private static final Instant NOW = Instant.parse("2030-06-01T23:59:30Z");
    private static final LocalDate TODAY = LocalDate.of(2030, 6, 1);
    /** 40 characters: 10 prompt tokens, so 110 tokens are held while it streams. */
    private static final ChatRequest REQUEST = ChatRequest.of("fake", List.of(ChatMessage.of(Role.USER, "x".repeat(40))));

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final Sinks.Empty<Void> reservationGate = Sinks.empty();
    private boolean gated;
    private boolean databaseDown;
    private final QuotaLedger ledger = new QuotaLedger(H2.client, LIMITS) {
        @Override
        Mono<Boolean> reserve(UUID user, LocalDate day, long estimate) {
            if (databaseDown) {
                return Mono.error(new DataAccessResourceFailureException("connection refused"));
            }
            // Lets a test hold the reservation's answer back, to hang up while it is on its way.
            return gated ? reservationGate.asMono().then(super.reserve(user, day, estimate)) : super.reserve(user, day, estimate);
        }
    };
    private final Settlements settlements = new Settlements(ledger, LIMITS, meters);
    /** What the quota let go upstream, with the reply cap it set. */
    private final List<ChatRequest> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Sweeps only when a test moves this time on. */
    private final VirtualTimeScheduler sweeps = VirtualTimeScheduler.create();
    private final QuotaBlocks blocks = new QuotaBlocks(ledger, settlements, LIMITS.blocks(), sweeps);
    private final DailyQuota quota = new DailyQuota(ledger, blocks, LIMITS, Clock.fixed(NOW, ZoneOffset.UTC), meters);

    @Test
    void aRequestPastTheRequestQuotaIs429UntilMidnightAndNeverReachesTheUpstream() {
        UUID user = H2.newUser();
        for (int i = 0; i < 3; i++) {
            meter(user, REQUEST, reply("Hi")).blockLast(TIMEOUT);
        }
        AtomicInteger upstreamCalls = new AtomicInteger();

        StepVerifier.create(meter(user, REQUEST, reply("Hi").doOnSubscribe(s -> upstreamCalls.incrementAndGet())))
                .expectErrorSatisfies(failure -> {
                    GatewayException refused = (GatewayException) failure;
                    assertThat(refused.code()).isEqualTo(ErrorCode.RATE_LIMITED);
                    assertThat(refused.retryAfter()).as("until 00:00 UTC").isEqualTo(Duration.ofSeconds(30));
                    assertThat(refused.getMessage()).as("names the quota").startsWith("Daily request quota used up: 3 of 3");
                })
                .verify(TIMEOUT);

        assertThat(upstreamCalls).as("a refused request never goes upstream").hasValue(0);
        assertThat(meters.get("sluice.quota.rejections").tag("quota", "requests").counter().count()).isEqualTo(1);
    }

    @Test
    void whileTheDatabaseIsUnreachableTheOutageAllowanceGoesOnUncountedAndPastItChatsGet503() {
        UUID user = H2.newUser();
        databaseDown = true;

        StepVerifier.create(meter(user, REQUEST, reply("Hi")))
                .expectNextCount(2)
                .verifyComplete();
        assertThat(quota.degraded()).as("the outage lasts (logged once) until the database answers").isTrue();
        meter(user, REQUEST, reply("Hi")).blockLast(TIMEOUT);
        StepVerifier.create(meter(user, REQUEST, reply("Hi")))
                .expectErrorSatisfies(failure -> {
                    GatewayException refused = (GatewayException) failure;
                    assertThat(refused.code()).as("fails closed past the allowance of 2").isEqualTo(ErrorCode.STORE_UNAVAILABLE);
                    assertThat(refused.getMessage()).startsWith("Quota store unavailable");
                    assertThat(refused.retryAfter()).isPositive();
                })
                .verify(TIMEOUT);

        assertThat(meters.get("sluice.quota.unenforced").counter().count()).isEqualTo(2);
        assertThat(meters.get("sluice.quota.store.refusals").counter().count()).isEqualTo(1);
        assertThat(meters.get("sluice.quota.store.unavailable").gauge().value()).isEqualTo(1);
        databaseDown = false;
        meter(user, REQUEST, reply("Hi")).blockLast(TIMEOUT);
        assertThat(quota.degraded()).isFalse();
        assertThat(meters.get("sluice.quota.store.unavailable").gauge().value()).isZero();
        awaitSettled(user);
        assertThat(usage(user).requests()).as("only the request made once the database answered counts").isEqualTo(1);
    }

    @Test
    void theOutageAllowanceBoundsTokensTooAndCapsTheReplyToWhatIsLeftOfIt() {
        UUID user = H2.newUser();
        databaseDown = true;
        ChatRequest fiftyTokens = ChatRequest.of("fake", List.of(ChatMessage.of(Role.USER, "x".repeat(200))));

        meter(user, REQUEST.withMaxTokens(950), reply("Hi")).blockLast(TIMEOUT);
        StepVerifier.create(meter(user, fiftyTokens, reply("Hi")))
                .expectErrorSatisfies(failure -> assertThat(((GatewayException) failure).code())
                        .as("10 + 950 of the 1,000 tokens taken: 40 left, less than this prompt").isEqualTo(ErrorCode.STORE_UNAVAILABLE))
                .verify(TIMEOUT);
        meter(user, REQUEST, reply("Hi")).blockLast(TIMEOUT);

        assertThat(sent).extracting(request -> request.reply().maxTokens()).as("the last one's reply is capped to the 30 left after its prompt")
                .containsExactly(950, 30);
    }

    @Test
    void aReservationTheDatabaseDoesNotAnswerInTimeCountsAsAnOutageAndIsSettledWhenItLands() {
        UUID user = H2.newUser();
        gated = true;

        StepVerifier.create(meter(user, REQUEST, Flux.just(text("Hello"), finish(), new ChatChunk.Usage(12, 3))))
                .expectNextCount(3)
                .as("the reply goes on on the allowance once the 500 ms reservation timeout passed")
                .verifyComplete();
        assertThat(quota.degraded()).isTrue();
        assertThat(usage(user).requests()).as("the reservation has not landed yet").isZero();

        reservationGate.tryEmitEmpty();
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(usage(user).requests())
                .as("the late reservation counted the request").isEqualTo(1));
        awaitSettled(user);
        assertThat(usage(user).tokens()).as("and was settled to the real usage, not left held").isEqualTo(15);
    }

    @Test
    void withoutMaxTokensTheReplyAllowanceIsTheCapSentUpstream() {
        UUID user = H2.newUser();

        meter(user, REQUEST, reply("Hi")).blockLast(TIMEOUT);

        assertThat(sent).singleElement().extracting(request -> request.reply().maxTokens()).as("the reply allowance").isEqualTo(100);
    }

    @Test
    void aRequestedMaxTokensIsTheCapWhenItFits() {
        UUID user = H2.newUser();

        meter(user, REQUEST.withMaxTokens(42), reply("Hi")).blockLast(TIMEOUT);

        assertThat(sent).singleElement().extracting(request -> request.reply().maxTokens()).isEqualTo(42);
    }

    @Test
    void maxCompletionTokensIsCappedLikeMaxTokensAndKeepsItsName() {
        UUID user = H2.newUser();
        ChatRequest request = new ChatRequest("fake", REQUEST.messages(), null,
                new ReplyOptions(1_995, ReplyOptions.CapName.MAX_COMPLETION_TOKENS, null, null, null), null, null, null);

        StepVerifier.create(meter(user, request, Flux.concat(Flux.just(text("Hi")), Flux.never())))
                .expectNextCount(1)
                .then(() -> assertThat(usage(user).reservedTokens()).as("reserved as max_tokens would be").isEqualTo(2_000))
                .thenCancel()
                .verify(TIMEOUT);

        assertThat(sent).singleElement().extracting(ChatRequest::reply)
                .as("2,000 left less the 10 prompt tokens, sent under the caller's name")
                .isEqualTo(new ReplyOptions(1_990, ReplyOptions.CapName.MAX_COMPLETION_TOKENS, null, null, null));
    }

    @Test
    void eachOfSeveralChoicesReservesItsCapAndGetsItsShareOfWhatIsLeft() {
        UUID user = H2.newUser();
        ChatRequest threeChoices = new ChatRequest("fake", REQUEST.messages(), null,
                new ReplyOptions(1_000, ReplyOptions.CapName.MAX_TOKENS, 3, null, null), null, null, null);

        StepVerifier.create(meter(user, threeChoices, Flux.concat(Flux.just(text("Hi")), Flux.never())))
                .expectNextCount(1)
                .then(() -> assertThat(usage(user).reservedTokens()).as("three replies of up to 1,000 do not fit: all that is left")
                        .isEqualTo(2_000))
                .thenCancel()
                .verify(TIMEOUT);

        assertThat(sent).singleElement().extracting(request -> request.reply().maxTokens())
                .as("the 1,990 left after the prompt, a third to each choice").isEqualTo(663);
    }

    @Test
    void aReplyCapPastTheTokensLeftTodayShrinksToWhatIsLeft() {
        UUID user = H2.newUser();

        StepVerifier.create(meter(user, REQUEST.withMaxTokens(1_995), Flux.concat(Flux.just(text("Hi")), Flux.never())))
                .expectNextCount(1)
                .then(() -> assertThat(usage(user).reservedTokens()).as("the whole day's quota, no more").isEqualTo(2_000))
                .thenCancel()
                .verify(TIMEOUT);

        assertThat(sent).singleElement().extracting(request -> request.reply().maxTokens())
                .as("2,000 left less the 10 prompt tokens").isEqualTo(1_990);
    }

    @Test
    void aPromptThatLeavesNoRoomForAReplyIsRefusedNamingTheTokenQuota() {
        UUID user = H2.newUser();
        ChatRequest huge = ChatRequest.of("fake", List.of(ChatMessage.of(Role.USER, "x".repeat(8_000))));

        StepVerifier.create(meter(user, huge, reply("Hi")))
                .expectErrorSatisfies(failure -> {
                    GatewayException refused = (GatewayException) failure;
                    assertThat(refused.code()).isEqualTo(ErrorCode.RATE_LIMITED);
                    assertThat(refused.retryAfter()).as("until 00:00 UTC").isEqualTo(Duration.ofSeconds(30));
                    assertThat(refused.getMessage()).as("2,000 prompt tokens leave nothing of 2,000 for a reply")
                            .startsWith("Daily token quota exceeded: this request's input takes about 2000 tokens"
                                    + " and 2000 of 2000 are left today");
                })
                .verify(TIMEOUT);
        assertThat(usage(user).requests()).as("a refused request is not counted").isZero();
        assertThat(sent).as("nothing went upstream").isEmpty();
        assertThat(meters.get("sluice.quota.rejections").tag("quota", "tokens").counter().count()).isEqualTo(1);
    }

    @Test
    void aCompletedStreamIsChargedTheUsageItReported() {
        UUID user = H2.newUser();

        StepVerifier.create(meter(user, REQUEST, Flux.just(text("Hello"), finish(), new ChatChunk.Usage(12, 3))))
                .expectNextCount(3)
                .verifyComplete();

        awaitSettled(user);
        assertThat(usage(user).tokens()).as("the provider's own count").isEqualTo(15);
        assertThat(usage(user).requests()).isEqualTo(1);
    }

    @Test
    void whileItStreamsTheEstimateIsHeld() {
        UUID user = H2.newUser();

        StepVerifier.create(meter(user, REQUEST, Flux.concat(Flux.just(text("Hel")), Flux.never())))
                .expectNextCount(1)
                .then(() -> assertThat(usage(user).reservedTokens()).as("10 prompt + 100 reply allowance").isEqualTo(110))
                .thenCancel()
                .verify(TIMEOUT);
    }

    @Test
    void withoutReportedUsageTheTextStreamedIsEstimated() {
        UUID user = H2.newUser();

        meter(user, REQUEST, Flux.just(text("12345678"), text("9"), finish())).blockLast(TIMEOUT);

        awaitSettled(user);
        assertThat(usage(user).tokens()).as("10 prompt tokens + 9 characters rounded up to 3 tokens").isEqualTo(13);
    }

    @Test
    void aCallThatFailsBeforeItsFirstTokenIsChargedThePromptItSent() {
        UUID user = H2.newUser();

        StepVerifier.create(meter(user, REQUEST, Flux.error(new GatewayException(ErrorCode.UPSTREAM_TIMEOUT, "slow"))))
                .expectError(GatewayException.class)
                .verify(TIMEOUT);

        awaitSettled(user);
        assertThat(usage(user).tokens()).as("the provider read the 10 prompt tokens").isEqualTo(10);
        assertThat(usage(user).requests()).isEqualTo(1);
    }

    @Test
    void aRequestThatNeverWentUpstreamCostsNoTokensButCountsAsARequest() {
        UUID user = H2.newUser();

        StepVerifier.create(quota.meter(user, REQUEST, new Cost(false),
                        capped -> Flux.error(new GatewayException(ErrorCode.OVERLOADED, "every bulkhead full"))))
                .expectError(GatewayException.class)
                .verify(TIMEOUT);

        awaitSettled(user);
        assertThat(usage(user).tokens()).isZero();
        assertThat(usage(user).requests()).isEqualTo(1);
    }

    @Test
    void aCallerThatHangsUpBeforeTheFirstTokenIsChargedThePromptItSent() {
        UUID user = H2.newUser();

        StepVerifier.create(meter(user, REQUEST, Flux.never()))
                .expectSubscription()
                .then(() -> await().atMost(TIMEOUT).until(() -> !sent.isEmpty()))
                .thenCancel()
                .verify(TIMEOUT);

        awaitSettled(user);
        assertThat(usage(user).tokens()).as("10 prompt tokens, not 0").isEqualTo(10);
    }

    @Test
    void aStreamThatBreaksMidWayIsChargedWhatWasStreamed() {
        UUID user = H2.newUser();

        StepVerifier.create(meter(user, REQUEST, Flux.concat(Flux.just(text("abcd")),
                        Flux.error(new GatewayException(ErrorCode.STREAM_BROKEN, "cut")))))
                .expectNextCount(1)
                .expectError(GatewayException.class)
                .verify(TIMEOUT);

        awaitSettled(user);
        assertThat(usage(user).tokens()).as("10 prompt + 1 streamed").isEqualTo(11);
    }

    @Test
    void aCancelledStreamIsSettledOnce() {
        UUID user = H2.newUser();

        StepVerifier.create(meter(user, REQUEST, Flux.concat(Flux.just(text("abcdefgh")), Flux.never())))
                .expectNextCount(1)
                .thenCancel()
                .verify(TIMEOUT);

        awaitSettled(user);
        assertThat(usage(user).tokens()).as("10 prompt + 2 streamed").isEqualTo(12);
    }

    @Test
    void aHangUpWhileTheReservationIsOnItsWayStillReleasesIt() {
        UUID user = H2.newUser();
        gated = true;
        AtomicInteger upstreamCalls = new AtomicInteger();

        quota.meter(user, REQUEST, new Cost(false), capped -> reply("Hi").doOnSubscribe(s -> upstreamCalls.incrementAndGet()))
                .subscribe().dispose();
        reservationGate.tryEmitEmpty();

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(usage(user).requests())
                .as("the reservation went through after the hang-up").isEqualTo(1));
        awaitSettled(user);
        assertThat(usage(user).tokens()).as("nothing reached anyone").isZero();
        assertThat(upstreamCalls).hasValue(0);
    }

    @Test
    void theStatusShowsUsedLimitRemainingAndTheReset() {
        UUID user = H2.newUser();
        meter(user, REQUEST, Flux.just(text("Hello"), finish(), new ChatChunk.Usage(12, 3))).blockLast(TIMEOUT);
        awaitSettled(user);

        QuotaStatus status = quota.status(user).block(TIMEOUT);

        assertThat(status.requests()).isEqualTo(new QuotaStatus.Dimension(1, null, 3, 2, "2030-06-02T00:00:00Z"));
        assertThat(status.tokens()).isEqualTo(new QuotaStatus.Dimension(15, 0L, 2_000, 1_985, "2030-06-02T00:00:00Z"));
    }

    @Test
    void withQuotasSwitchedOffNothingIsReservedNorChargedAndTheStatusSaysSo() {
        UUID user = H2.newUser();
        AtomicInteger reservations = new AtomicInteger();
        QuotaLedger counting = new QuotaLedger(H2.client, LIMITS) {
            @Override
            Mono<Boolean> reserve(UUID user, LocalDate day, long estimate) {
                reservations.incrementAndGet();
                return super.reserve(user, day, estimate);
            }
        };
        QuotaProperties off = TestQuotas.limits(3, 2_000, 100, false);
        DailyQuota unmetered = new DailyQuota(counting,
                new QuotaBlocks(counting, new Settlements(counting, off, meters), off.blocks(), sweeps), off,
                Clock.fixed(NOW, ZoneOffset.UTC), meters);

        // Twice the day's 3 requests, each with a reply that reports usage: none is refused.
        Flux.range(0, 6)
                .concatMap(i -> unmetered.meter(user, REQUEST, new Cost(true),
                        capped -> Flux.just(text("Hello"), finish(), new ChatChunk.Usage(12, 3))))
                .as(StepVerifier::create)
                .expectNextCount(18)
                .verifyComplete();

        assertThat(reservations).as("the database is never asked").hasValue(0);
        assertThat(usage(user)).as("nothing counted, nothing held")
                .isEqualTo(new QuotaLedger.DailyUsage(0, 0, 0, 3, 2_000));
        QuotaStatus status = unmetered.status(user).block(TIMEOUT);
        assertThat(status).isEqualTo(QuotaStatus.DISABLED);
        assertThat(JsonMapper.builder().build().writeValueAsString(status))
                .as("GET /api/v1/quota says quotas are off rather than show counts nobody keeps")
                .isEqualTo("{\"enabled\":false}");
    }

    @Test
    void withQuotasOnTheStatusSaysSoNextToTheCounts() {
        UUID user = H2.newUser();

        String json = JsonMapper.builder().build().writeValueAsString(quota.status(user).block(TIMEOUT));

        assertThat(json).startsWith("{\"enabled\":true,\"requests\":{\"used\":0,\"limit\":3,\"remaining\":3,");
    }

    /** The quota around a reply that went upstream (the provider read the prompt). */
    /** As the chat meters a reply that goes upstream: its tally counts what passes the quota. */
    @Test
    void anEmbeddingsRequestHoldsItsInputAndOneTokenAndSettlesToTheCountItsProviderReported() {
        UUID user = H2.newUser();
        Cost cost = new Cost(true);

        StepVerifier.create(quota.meter(user, 40, cost, () -> Flux.concat(Flux.just(new ChatChunk.Usage(25, 0)),
                        Flux.<ChatChunk>never()).doOnNext(cost::add)))
                .expectNextCount(1)
                .then(() -> assertThat(usage(user).reservedTokens()).as("the 40 input tokens and 1 reply token")
                        .isEqualTo(41))
                .thenCancel()
                .verify(TIMEOUT);

        awaitSettled(user);
        assertThat(usage(user).tokens()).as("the provider's count, not the estimate").isEqualTo(25);
        assertThat(usage(user).requests()).isEqualTo(1);
    }

    @Test
    void anEmbeddingsInputThatDoesNotFitIs429AndNeverReachesTheUpstream() {
        UUID user = H2.newUser();
        AtomicInteger upstreamCalls = new AtomicInteger();

        StepVerifier.create(quota.meter(user, 2_500, new Cost(true), () -> {
                    upstreamCalls.incrementAndGet();
                    return Flux.<ChatChunk>empty();
                }))
                .expectErrorSatisfies(failure -> assertThat(failure.getMessage())
                        .startsWith("Daily token quota exceeded: this request's input takes about 2500 tokens"))
                .verify(TIMEOUT);

        assertThat(upstreamCalls).hasValue(0);
    }

    private Flux<ChatChunk> meter(UUID user, ChatRequest request, Flux<ChatChunk> reply) {
        Cost cost = new Cost(true);
        return quota.meter(user, request, cost, capped -> {
            sent.add(capped);
            return reply;
        }).doOnNext(cost::add);
    }

    private void awaitSettled(UUID user) {
        await().atMost(TIMEOUT).untilAsserted(() -> {
            assertThat(usage(user).reservedTokens()).as("the estimate is released").isZero();
            assertThat(settlements.pending()).isZero();
        });
    }

    private QuotaLedger.DailyUsage usage(UUID user) {
        return ledger.usage(user, TODAY).block(TIMEOUT);
    }

    /** What a chat's tally tells the quota: the reply's characters and usage, and whether it went upstream. */
    private static final class Cost implements ReplyCost {
        private final boolean promptSent;
        private volatile long replyChars;
        private volatile ChatChunk.Usage usage;

        Cost(boolean promptSent) {
            this.promptSent = promptSent;
        }

        void add(ChatChunk chunk) {
            if (chunk instanceof ChatChunk.TextDelta text) {
                replyChars += text.text().length();
            }
            else if (chunk instanceof ChatChunk.Usage reported) {
                usage = reported;
            }
        }

        @Override
        public ChatChunk.Usage usage() {
            return usage;
        }

        @Override
        public long replyChars() {
            return replyChars;
        }

        @Override
        public boolean promptSent() {
            return promptSent;
        }
    }

    private static Flux<ChatChunk> reply(String text) {
        return Flux.just(text(text), finish());
    }

    private static ChatChunk text(String text) {
        return new ChatChunk.TextDelta(text);
    }

    private static ChatChunk finish() {
        return new ChatChunk.Finish(FinishReason.STOP);
    }
}
