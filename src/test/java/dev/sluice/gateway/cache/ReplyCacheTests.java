package dev.sluice.gateway.cache;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.UUID;
import java.util.function.Supplier;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.llm.Sampling;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The cache on the chat path, in memory, against a scripted upstream: single flight, what is stored, degrading. */
class ReplyCacheTests {

    private static final ChatRequest DETERMINISTIC = new ChatRequest("fast", List.of(ChatMessage.of(Role.USER, "Hi")),
            temperature(0.0), null, null, null, null);
    private static final List<ChatChunk> REPLY = List.of(new ChatChunk.TextDelta("Hel"), new ChatChunk.TextDelta("lo"),
            new ChatChunk.Finish(FinishReason.STOP), new ChatChunk.Usage(1, 2));

    private static final UUID USER = UUID.randomUUID();

    private SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Upstream upstream = new Upstream();
    private ReplyCache cache = cache(CacheProperties.defaults(), new LocalResponseCache(1 << 20, registry));

    @Test
    void identicalRequestsInFlightShareOneCallAndOneClientLeavingTakesOnlyItsOwnStream() {
        List<ChatChunk> first = new CopyOnWriteArrayList<>();
        Disposable leaving = serve(Asked.none()).subscribe(first::add);
        Asked secondRequest = Asked.none();
        Mono<List<ChatChunk>> second = serve(secondRequest).collectList().cache();
        second.subscribe();

        upstream.emit(REPLY.get(0));
        leaving.dispose();
        Mono<List<ChatChunk>> third = serve(Asked.none()).collectList().cache();
        third.subscribe();
        upstream.emit(REPLY.get(1), REPLY.get(2), REPLY.get(3));
        upstream.complete();

        assertThat(second.block(Duration.ofSeconds(5))).isEqualTo(REPLY);
        assertThat(third.block(Duration.ofSeconds(5))).as("a late joiner gets the whole reply from its start").isEqualTo(REPLY);
        assertThat(first).containsExactly(REPLY.get(0));
        assertThat(upstream.calls.get()).isEqualTo(1);
        assertThat(upstream.cancelled).as("the call went on for the others").isFalse();
        assertThat(secondRequest.status()).isEqualTo(CacheStatus.MISS);
        assertThat(count("sluice.cache.calls.saved", "by", "single_flight")).isEqualTo(2);
    }

    @Test
    void aSharedReplyNamesWhoServesTheCallItSharesAndAReplayedOneWhoMadeIt() {
        Asked leader = Asked.none();
        Mono<List<ChatChunk>> first = serve(leader).collectList().cache();
        first.subscribe();
        Asked sharing = Asked.none();
        Mono<List<ChatChunk>> second = serve(sharing).collectList().cache();
        second.subscribe();
        leader.servedBy = "fast-upstream/model-a"; // what routing tells the leader once its call has started

        upstream.emit(REPLY.toArray(ChatChunk[]::new));
        upstream.complete();
        assertThat(second.block(Duration.ofSeconds(5))).isEqualTo(REPLY);
        assertThat(first.block(Duration.ofSeconds(5))).isEqualTo(REPLY);
        await().atMost(Duration.ofSeconds(5)).until(() -> cache.inFlight() == 0);
        Asked replayed = Asked.none();
        serve(replayed).blockLast(Duration.ofSeconds(5));

        assertThat(sharing.providerElsewhere()).as("the provider of the call it shared").isEqualTo("fast-upstream/model-a");
        assertThat(leader.providerElsewhere()).as("the leader made its own call").isNull();
        assertThat(replayed.status()).isEqualTo(CacheStatus.HIT);
        assertThat(replayed.providerElsewhere()).as("stored with the reply").isEqualTo("fast-upstream/model-a");
    }

    @Test
    void whenEveryClientLeavesTheCallIsCancelledAndTheNextRequestCallsAfresh() {
        Disposable one = serve(Asked.none()).subscribe();
        Disposable two = serve(Asked.none()).subscribe();
        upstream.emit(REPLY.get(0));

        one.dispose();
        assertThat(upstream.cancelled).isFalse();
        two.dispose();

        assertThat(upstream.cancelled).as("no one left to read it").isTrue();
        assertThat(cache.inFlight()).isZero();
        serve(Asked.none()).subscribe();
        assertThat(upstream.calls.get()).isEqualTo(2);
    }

    @Test
    void aCompleteReplyIsStoredAndReplayedWithoutACall() {
        serve(Asked.none()).subscribe();
        upstream.emit(REPLY.toArray(ChatChunk[]::new));
        upstream.complete();
        await().atMost(Duration.ofSeconds(5)).until(() -> cache.inFlight() == 0);

        Asked again = Asked.none();
        StepVerifier.create(serve(again)).expectNextSequence(REPLY).verifyComplete();

        assertThat(again.status()).isEqualTo(CacheStatus.HIT);
        assertThat(again.cached()).isTrue();
        assertThat(upstream.calls.get()).isEqualTo(1);
        assertThat(count("sluice.cache.writes", "outcome", "stored")).isEqualTo(1);
        assertThat(registry.get("sluice.cache.entry.bytes").summary().totalAmount()).isPositive();
    }

    @Test
    void aFailedOrUnfinishedReplyIsNeverStored() {
        StepVerifier.create(serve(Asked.none()))
                .then(() -> upstream.emit(REPLY.get(0)))
                .then(() -> upstream.fail(new IllegalStateException("broke")))
                .expectNext(REPLY.get(0))
                .verifyErrorMessage("broke");
        StepVerifier.create(serve(Asked.none()))
                .then(() -> upstream.emit(REPLY.get(0), REPLY.get(1)))
                .then(upstream::complete)
                .expectNextCount(2)
                .verifyComplete();
        StepVerifier.create(serve(Asked.none()))
                .then(() -> upstream.emit(REPLY.toArray(ChatChunk[]::new)))
                .then(upstream::complete)
                .expectNextCount(4)
                .verifyComplete();

        assertThat(upstream.calls.get()).as("neither the failed nor the unfinished reply answered the next").isEqualTo(3);
    }

    @Test
    void aReplyOverTheSizeLimitIsServedButNotStored() {
        cache = cache(properties(CacheProperties.When.DETERMINISTIC, 64), new LocalResponseCache(1 << 20, registry));
        ChatChunk longText = new ChatChunk.TextDelta("x".repeat(100));

        StepVerifier.create(serve(Asked.none()))
                .then(() -> upstream.emit(longText, new ChatChunk.Finish(FinishReason.STOP)))
                .then(upstream::complete)
                .expectNext(longText, new ChatChunk.Finish(FinishReason.STOP))
                .verifyComplete();

        assertThat(count("sluice.cache.writes", "outcome", "too_large")).isEqualTo(1);
        assertThat(count("sluice.cache.writes", "outcome", "stored")).isZero();
    }

    @Test
    void aRequestWhoseLookupMissedJustBeforeTheEntryLandedGetsTheStoredReplyInsteadOfCallingAgain() {
        HeldLookups store = new HeldLookups(new LocalResponseCache(1 << 20, registry));
        cache = cache(properties(CacheProperties.When.DETERMINISTIC, 262_144, Duration.ofSeconds(30)), store);
        // The late request looks the key up before the first one's flight exists, finds nothing, and its answer is
        // slow to come back: meanwhile the flight runs, ends and its entry lands.
        Sinks.Empty<Void> slowAnswer = store.holdNextLookup();
        Asked lateRequest = Asked.none();
        CompletableFuture<List<ChatChunk>> late = serve(lateRequest).collectList().toFuture();
        StepVerifier.create(serve(Asked.none()))
                .then(() -> upstream.emit(REPLY.toArray(ChatChunk[]::new)))
                .then(upstream::complete)
                .expectNextSequence(REPLY)
                .verifyComplete();
        await().atMost(Duration.ofSeconds(5)).until(() -> cache.inFlight() == 0);

        slowAnswer.tryEmitEmpty().orThrow();

        await().atMost(Duration.ofSeconds(5)).until(() -> late.isDone() || upstream.calls.get() > 1);
        assertThat(upstream.calls.get()).as("the entry landed before the late request could start a flight of its own")
                .isEqualTo(1);
        assertThat(late.join()).as("the stored reply").isEqualTo(REPLY);
        assertThat(lateRequest.status()).isEqualTo(CacheStatus.HIT);
        assertThat(count("sluice.cache.writes", "outcome", "stored")).as("the replayed entry is not written again")
                .isEqualTo(1);
    }

    @Test
    void aRequestWhoseLookupTimedOutAfterTheEntryLandedGetsTheStoredReplyInsteadOfCallingAgain() {
        HeldLookups store = new HeldLookups(new LocalResponseCache(1 << 20, registry));
        cache = cache(properties(CacheProperties.When.DETERMINISTIC, 262_144, Duration.ofSeconds(1)), store);
        // A store too busy to answer this lookup in time (Redis under load): a miss after the lookup timeout, by when
        // the first request's flight has ended and its entry landed.
        store.neverAnswerNextLookup();
        Asked lateRequest = Asked.none();
        CompletableFuture<List<ChatChunk>> late = serve(lateRequest).collectList().toFuture();
        StepVerifier.create(serve(Asked.none()))
                .then(() -> upstream.emit(REPLY.toArray(ChatChunk[]::new)))
                .then(upstream::complete)
                .expectNextSequence(REPLY)
                .verifyComplete();
        await().atMost(Duration.ofSeconds(5)).until(() -> cache.inFlight() == 0);
        assertThat(late).as("still waiting for its lookup").isNotDone();

        await().atMost(Duration.ofSeconds(5)).until(() -> late.isDone() || upstream.calls.get() > 1);
        assertThat(upstream.calls.get()).isEqualTo(1);
        assertThat(late.join()).isEqualTo(REPLY);
        assertThat(lateRequest.status()).isEqualTo(CacheStatus.HIT);
    }

    @Test
    void twoHundredIdenticalRequestsOnSeveralThreadsBeforeDuringAndAfterAFastReplyMakeOneCall() {
        AtomicInteger calls = new AtomicInteger();
        Supplier<Flux<ChatChunk>> fast = () -> Flux.defer(() -> {
            calls.incrementAndGet();
            return Flux.fromIterable(REPLY);
        }).subscribeOn(Schedulers.parallel());

        // One more every 50 µs on the parallel threads: the reply and its write land while they keep coming.
        List<List<ChatChunk>> replies = Flux.range(0, 200)
                .flatMap(i -> Mono.delay(Duration.ofNanos(50_000L * i))
                        .flatMap(tick -> serve(DETERMINISTIC, Asked.none(), fast).collectList()))
                .collectList()
                .block(Duration.ofSeconds(10));

        assertThat(calls.get()).as("the others shared the call or found its entry").isEqualTo(1);
        assertThat(replies).hasSize(200).allSatisfy(reply -> assertThat(reply).isEqualTo(REPLY));
    }

    @Test
    void aReplyOutgrowingTheEntrySizeStillReachesEveryoneSharingItButItsBufferStopsAndNoLaterRequestJoins() {
        cache = cache(properties(CacheProperties.When.DETERMINISTIC, 64), new LocalResponseCache(1 << 20, registry));
        ChatChunk longText = new ChatChunk.TextDelta("x".repeat(100));
        List<ChatChunk> whole = List.of(REPLY.get(0), longText, REPLY.get(1), new ChatChunk.Finish(FinishReason.STOP));
        Mono<List<ChatChunk>> first = serve(Asked.none()).collectList().cache();
        first.subscribe();
        Mono<List<ChatChunk>> second = serve(Asked.none()).collectList().cache();
        second.subscribe();
        upstream.emit(REPLY.get(0), longText);

        Mono<List<ChatChunk>> third = serve(Asked.none()).collectList().cache();
        third.subscribe();
        assertThat(upstream.calls.get()).as("the flight no longer keeps its reply for replay: the third request calls anew")
                .isEqualTo(2);
        upstream.emitTo(0, REPLY.get(1), new ChatChunk.Finish(FinishReason.STOP));
        upstream.completeAll();

        assertThat(first.block(Duration.ofSeconds(5))).isEqualTo(whole);
        assertThat(second.block(Duration.ofSeconds(5))).as("a client that joined before still gets it all").isEqualTo(whole);
        assertThat(third.block(Duration.ofSeconds(5))).isEmpty();
        assertThat(count("sluice.cache.writes", "outcome", "too_large")).isEqualTo(1);
        assertThat(count("sluice.cache.writes", "outcome", "stored")).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> cache.inFlight() == 0);
    }

    @Test
    void requestsThePolicyLeavesOutPassByAndNoStoreSkipsTheWrite() {
        ChatRequest warm = new ChatRequest("fast", DETERMINISTIC.messages(), temperature(0.7), null, null, null, null);
        Asked bypassed = Asked.none();
        StepVerifier.create(serve(warm, bypassed, () -> Flux.fromIterable(REPLY)))
                .expectNextCount(4).verifyComplete();
        assertThat(bypassed.status()).isEqualTo(CacheStatus.BYPASS);

        Asked noStore = Asked.of(List.of("no-store"));
        StepVerifier.create(serve(noStore))
                .then(() -> upstream.emit(REPLY.toArray(ChatChunk[]::new)))
                .then(upstream::complete)
                .expectNextCount(4).verifyComplete();
        assertThat(noStore.status()).isEqualTo(CacheStatus.MISS);
        assertThat(count("sluice.cache.writes", "outcome", "stored")).isZero();
        assertThat(count("sluice.cache.requests", "result", "bypass")).isEqualTo(1);
    }

    @Test
    void optInCachesOnlyWhatAsksForItAndAlwaysCachesEverything() {
        ChatRequest warm = new ChatRequest("fast", DETERMINISTIC.messages(), temperature(0.7), null, null, null, null);
        cache = cache(properties(CacheProperties.When.OPT_IN, 262_144), new LocalResponseCache(1 << 20, registry));
        Asked plain = Asked.none();
        Asked optedIn = Asked.of(List.of("max-age=60"));
        serve(DETERMINISTIC, plain, () -> Flux.fromIterable(REPLY)).blockLast();
        serve(warm, optedIn, () -> Flux.fromIterable(REPLY)).blockLast();
        assertThat(plain.status()).as("temperature 0 is not enough here").isEqualTo(CacheStatus.BYPASS);
        assertThat(optedIn.status()).isEqualTo(CacheStatus.MISS);

        cache = cache(properties(CacheProperties.When.ALWAYS, 262_144), new LocalResponseCache(1 << 20, registry));
        Asked any = Asked.none();
        serve(warm, any, () -> Flux.fromIterable(REPLY)).blockLast();
        assertThat(any.status()).isEqualTo(CacheStatus.MISS);
    }

    @Test
    void aLookupThatHangsIsAMissAfterTheLookupTimeout() {
        cache = cache(CacheProperties.defaults(), new Failing(Mono.never()));
        Asked request = Asked.none();

        StepVerifier.create(serve(request))
                .then(() -> upstream.emit(REPLY.toArray(ChatChunk[]::new)))
                .then(upstream::complete)
                .expectNextSequence(REPLY)
                .verifyComplete();

        assertThat(request.status()).isEqualTo(CacheStatus.MISS);
        assertThat(count("sluice.cache.unavailable", "operation", "lookup")).isEqualTo(1);
        assertThat(registry.get("sluice.cache.degraded").gauge().value()).isEqualTo(1);
    }

    @Test
    void aLookupThatFailsIsAMissAtOnceAndAFailedWriteIsCounted() {
        cache = cache(CacheProperties.defaults(), new Failing(Mono.error(new IllegalStateException("Redis is down"))));

        StepVerifier.create(serve(Asked.none()))
                .then(() -> upstream.emit(REPLY.toArray(ChatChunk[]::new)))
                .then(upstream::complete)
                .expectNextSequence(REPLY)
                .verifyComplete();

        await().atMost(Duration.ofSeconds(5)).until(() -> count("sluice.cache.writes", "outcome", "failed") == 1);
        assertThat(cache.inFlight()).isZero();
    }

    private Flux<ChatChunk> serve(Asked request) {
        return serve(DETERMINISTIC, request, upstream::call);
    }

    private Flux<ChatChunk> serve(ChatRequest chat, Asked request, Supplier<Flux<ChatChunk>> call) {
        return cache.serve(chat, USER, request.directives, request, call);
    }

    /** A cache with meters of its own (a registry keeps the first gauge of a name). */
    private ReplyCache cache(CacheProperties properties, ResponseCache store) {
        registry = new SimpleMeterRegistry();
        return new ReplyCache(properties, store, new CacheMeters(registry));
    }

    private static CacheProperties properties(CacheProperties.When when, int maxEntryBytes) {
        return properties(when, maxEntryBytes, Duration.ofMillis(100));
    }

    private static CacheProperties properties(CacheProperties.When when, int maxEntryBytes, Duration lookupTimeout) {
        return new CacheProperties(true, Duration.ofHours(1), maxEntryBytes, when, null, null, lookupTimeout,
                Duration.ofSeconds(1), 1000, DataSize.ofMegabytes(1));
    }

    private double count(String name, String tag, String value) {
        return registry.get(name).tag(tag, value).counter().count();
    }

    /** One request of these tests: its {@code Cache-Control}, what the cache told it, and who serves its call. */
    private static final class Asked implements CacheListener {
        final CacheDirectives directives;
        volatile String servedBy;
        private volatile CacheStatus status;
        private volatile Supplier<String> elsewhere;

        private Asked(CacheDirectives directives) {
            this.directives = directives;
        }

        static Asked none() {
            return new Asked(CacheDirectives.NONE);
        }

        static Asked of(List<String> cacheControl) {
            return new Asked(CacheDirectives.parse(cacheControl));
        }

        CacheStatus status() {
            return status;
        }

        boolean cached() {
            return status == CacheStatus.HIT;
        }

        String providerElsewhere() {
            Supplier<String> provider = elsewhere;
            return provider == null ? null : provider.get();
        }

        @Override
        public void cacheStatus(CacheStatus told) {
            status = told;
        }

        @Override
        public void servedElsewhere(Supplier<String> provider) {
            elsewhere = provider;
        }

        @Override
        public String servedBy() {
            return servedBy;
        }
    }

    /** An upstream the test drives chunk by chunk; each call is a new stream, the latest one driven unless told. */
    private static final class Upstream {
        final AtomicInteger calls = new AtomicInteger();
        volatile boolean cancelled;
        private final List<Sinks.Many<ChatChunk>> streams = new CopyOnWriteArrayList<>();
        private volatile Sinks.Many<ChatChunk> current;

        Flux<ChatChunk> call() {
            return Flux.defer(() -> {
                calls.incrementAndGet();
                cancelled = false;
                Sinks.Many<ChatChunk> stream = Sinks.many().unicast().onBackpressureBuffer();
                streams.add(stream);
                current = stream;
                return stream.asFlux().doOnCancel(() -> cancelled = true);
            });
        }

        void emit(ChatChunk... chunks) {
            await().atMost(Duration.ofSeconds(5)).until(() -> current != null);
            for (ChatChunk chunk : chunks) {
                current.tryEmitNext(chunk).orThrow();
            }
        }

        /** To the stream of call {@code index} (0 = the first). */
        void emitTo(int index, ChatChunk... chunks) {
            for (ChatChunk chunk : chunks) {
                streams.get(index).tryEmitNext(chunk).orThrow();
            }
        }

        void complete() {
            current.tryEmitComplete().orThrow();
        }

        void completeAll() {
            streams.forEach(stream -> stream.tryEmitComplete().orThrow());
        }

        void fail(Throwable failure) {
            current.tryEmitError(failure).orThrow();
        }
    }

    /**
     * A store whose next lookup, when held, reads at once but answers only when the test says (or never): a lookup
     * still on its way back while the store changes.
     */
    private static final class HeldLookups implements ResponseCache {

        private final ResponseCache store;
        private final AtomicReference<Sinks.Empty<Void>> held = new AtomicReference<>();

        HeldLookups(ResponseCache store) {
            this.store = store;
        }

        Sinks.Empty<Void> holdNextLookup() {
            Sinks.Empty<Void> answer = Sinks.empty();
            held.set(answer);
            return answer;
        }

        void neverAnswerNextLookup() {
            held.set(Sinks.empty());
        }

        @Override
        public Mono<byte[]> get(String key) {
            Sinks.Empty<Void> answer = held.getAndSet(null);
            if (answer == null) {
                return store.get(key);
            }
            return store.get(key).map(Optional::of).defaultIfEmpty(Optional.empty())
                    .delayUntil(read -> answer.asMono())
                    .flatMap(Mono::justOrEmpty);
        }

        @Override
        public Mono<Void> put(String key, byte[] value, Duration ttl) {
            return store.put(key, value, ttl);
        }

        @Override
        public Mono<Long> clear() {
            return store.clear();
        }

        @Override
        public String kind() {
            return "held";
        }
    }

    /** A store whose lookups answer {@code lookup} and whose writes fail. */
    private record Failing(Mono<byte[]> lookup) implements ResponseCache {

        @Override
        public Mono<byte[]> get(String key) {
            return lookup;
        }

        @Override
        public Mono<Void> put(String key, byte[] value, Duration ttl) {
            return Mono.error(new IllegalStateException("Redis is down"));
        }

        @Override
        public Mono<Long> clear() {
            return Mono.error(new IllegalStateException("Redis is down"));
        }

        @Override
        public String kind() {
            return "failing";
        }
    }

    private static Sampling temperature(double temperature) {
        return new Sampling(temperature, null, null, null, null, null);
    }
}
