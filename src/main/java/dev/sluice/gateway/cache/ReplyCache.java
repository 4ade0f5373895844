package dev.sluice.gateway.cache;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.chat.ChatChunk;
import dev.sluice.gateway.chat.ChatRequest;
import dev.sluice.gateway.routing.RouteTrace;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;
import reactor.core.publisher.Sinks;
import reactor.util.context.ContextView;

/**
 * The response cache on the chat path: answers a request from a stored reply when it can, otherwise fetches it
 * once for every identical request in flight on this replica (single flight) and stores it when it completed.
 * <p>
 * Which requests take part is {@code sluice.cache.when} with the request's {@code Cache-Control}; the others pass
 * by untouched ({@link CacheStatus#BYPASS}). Entries are per caller, or shared by everyone for the aliases in
 * {@code sluice.cache.shared-aliases}. Only a reply that ended with a finish is stored, never one that failed, was
 * cancelled or was cut short, nor one over {@code max-entry-bytes}. A lookup waits {@code lookup-timeout} at most;
 * a failed or slow one is a miss, metered and logged once, never an error for the client. Writes leave the request
 * path, bounded in number and time.
 */
public final class ReplyCache {

    private static final Log logger = LogFactory.getLog(ReplyCache.class);
    private static final long QUIET_NANOS = Duration.ofMinutes(1).toNanos();

    private final CacheProperties properties;
    private final ResponseCache store;
    private final CacheMeters meters;
    private final Set<String> sharedAliases;
    private final ConcurrentHashMap<String, Flight> flights = new ConcurrentHashMap<>();
    private final AtomicInteger pendingWrites = new AtomicInteger();
    private final AtomicLong lastAnnounced = new AtomicLong(System.nanoTime() - QUIET_NANOS);
    private volatile boolean announced;

    ReplyCache(CacheProperties properties, ResponseCache store, CacheMeters meters) {
        this.properties = properties;
        this.store = store;
        this.meters = meters;
        this.sharedAliases = properties.sharedAliasSet();
    }

    /**
     * The reply to {@code request}: replayed from the cache, shared with an identical request in flight, or
     * {@code upstream} (subscribed at most once, and only when needed) with its complete reply stored.
     * {@code cache} learns what happened, for the response headers; {@code trace} is this request's own.
     */
    public Flux<ChatChunk> serve(ChatRequest request, CacheRequest cache, RouteTrace trace,
            Supplier<Flux<ChatChunk>> upstream) {
        if (!properties.enabled()) {
            return upstream.get();
        }
        CacheDirectives directives = cache.directives();
        boolean cacheable = cacheable(request, directives);
        if (!cacheable || !directives.mayLookUp()) {
            cache.bypassed();
            meters.bypasses.increment();
            if (!cacheable || directives.noStore()) {
                return upstream.get();
            }
            // no-cache or max-age=0: not answered from the cache, but the fresh reply replaces the entry.
            return keyOf(request).flatMapMany(key -> {
                Flight refresh = new Flight(key, false, upstream.get(), trace);
                refresh.wantStored(ttl(directives));
                return refresh.participant(() -> upstream.get());
            });
        }
        return keyOf(request).flatMapMany(key -> lookUp(key, cache, trace, upstream));
    }

    /** Removes every entry; emits how many there were. Replies in flight are still stored when they complete. */
    public Mono<Long> clear() {
        return store.clear();
    }

    /** Requests being fetched for the cache on this replica right now. */
    int inFlight() {
        return flights.size();
    }

    private boolean cacheable(ChatRequest request, CacheDirectives directives) {
        switch (properties.when()) {
            case ALWAYS:
                return true;
            case OPT_IN:
                return directives.optedIn();
            default:
                Double temperature = request.temperature();
                return temperature != null && temperature == 0.0 || directives.optedIn();
        }
    }

    private Duration ttl(CacheDirectives directives) {
        Duration maxAge = directives.maxAge();
        return maxAge != null && maxAge.compareTo(properties.ttl()) < 0 ? maxAge : properties.ttl();
    }

    /** The key in the caller's scope, or the shared one for a shared alias. */
    private Mono<String> keyOf(ChatRequest request) {
        if (sharedAliases.contains(request.model())) {
            return Mono.fromSupplier(() -> CacheKey.of(properties.keyPrefix(), "shared", request));
        }
        return Caller.current()
                .map(Caller::id)
                .defaultIfEmpty(Caller.ANONYMOUS_ID)
                .map(user -> CacheKey.of(properties.keyPrefix(), user.toString(), request));
    }

    private Flux<ChatChunk> lookUp(String key, CacheRequest cache, RouteTrace trace, Supplier<Flux<ChatChunk>> upstream) {
        // Joining a flight first spares the lookup, and closes the gap between a flight's end and its entry's write.
        Flight flying = flights.get(key);
        if (flying != null) {
            return join(flying, key, cache, trace, upstream);
        }
        Duration maxAge = cache.directives().maxAge();
        return store.get(key)
                .timeout(properties.lookupTimeout())
                .doOnSuccess(found -> answered())
                .onErrorResume(failure -> unavailable(failure))
                .flatMap(bytes -> Mono.justOrEmpty(decode(key, bytes)))
                .filter(reply -> maxAge == null || System.currentTimeMillis() - reply.storedAtMillis() <= maxAge.toMillis())
                .flatMapMany(reply -> hit(reply, cache))
                .switchIfEmpty(Flux.defer(() -> miss(key, cache, trace, upstream)));
    }

    private Flux<ChatChunk> hit(CachedReply reply, CacheRequest cache) {
        cache.hit(reply.provider());
        meters.hits.increment();
        meters.savedByHit.increment();
        return Flux.fromIterable(reply.chunks());
    }

    private Flux<ChatChunk> miss(String key, CacheRequest cache, RouteTrace trace, Supplier<Flux<ChatChunk>> upstream) {
        Flight created = new Flight(key, true, upstream.get(), trace);
        Flight flying = flights.putIfAbsent(key, created);
        if (flying != null) {
            return join(flying, key, cache, trace, upstream);
        }
        cache.missed();
        meters.misses.increment();
        if (!cache.directives().noStore()) {
            created.wantStored(ttl(cache.directives()));
        }
        return created.participant(() -> miss(key, cache, trace, upstream));
    }

    private Flux<ChatChunk> join(Flight flight, String key, CacheRequest cache, RouteTrace trace,
            Supplier<Flux<ChatChunk>> upstream) {
        cache.missed();
        cache.sharing(flight.trace);
        meters.misses.increment();
        meters.savedBySharing.increment();
        if (!cache.directives().noStore()) {
            flight.wantStored(ttl(cache.directives()));
        }
        // The flight may be abandoned by all its clients before this one subscribes: then it fetches anew.
        return flight.participant(() -> {
            cache.sharing(null);
            return miss(key, cache, trace, upstream);
        });
    }

    private CachedReply decode(String key, byte[] bytes) {
        try {
            return CachedReply.decode(bytes);
        }
        catch (IllegalArgumentException unreadable) {
            // Written by another version, or damaged: a miss, and the fresh reply overwrites it.
            logger.debug("Ignoring the unreadable cache entry " + key + ": " + unreadable.getMessage());
            return null;
        }
    }

    private void answered() {
        if (meters.degraded.compareAndSet(true, false) && announced) {
            announced = false;
            logger.info("Response cache lookups work again");
        }
    }

    /** A failed or slow lookup is a miss; the outage is logged when it starts, at most once a minute. */
    private Mono<byte[]> unavailable(Throwable failure) {
        meters.lookupUnavailable.increment();
        long now = System.nanoTime();
        long last = lastAnnounced.get();
        if (meters.degraded.compareAndSet(false, true) && now - last >= QUIET_NANOS && lastAnnounced.compareAndSet(last, now)) {
            announced = true;
            logger.warn("Response cache (" + store.kind() + ") lookups fail or take over " + properties.lookupTimeout().toMillis()
                    + " ms; they are misses until it answers again: "
                    + (failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage()));
        }
        return Mono.empty();
    }

    /** Stores a complete reply off the request path, then runs {@code then}. */
    private void write(String key, CachedReply reply, Duration ttl, Runnable then) {
        byte[] bytes = reply.encode();
        if (bytes.length > properties.maxEntryBytes()) {
            meters.tooLarge.increment();
            then.run();
            return;
        }
        if (pendingWrites.incrementAndGet() > properties.maxPendingWrites()) {
            pendingWrites.decrementAndGet();
            meters.writeBusy.increment();
            then.run();
            return;
        }
        store.put(key, bytes, ttl)
                .timeout(properties.writeTimeout())
                .doFinally(signal -> {
                    pendingWrites.decrementAndGet();
                    then.run();
                })
                .subscribe(null, failure -> {
                    meters.writeFailed.increment();
                    logger.debug("Could not store a reply in the cache: " + failure.getMessage());
                }, () -> {
                    meters.stored.increment();
                    meters.entryBytes.record(bytes.length);
                });
    }

    /**
     * One upstream call and everyone who wants its reply. The call starts when the first client subscribes and goes
     * on while any client remains: a client that leaves takes only its own stream with it, and when the last one
     * leaves before the end, the call is cancelled. Every client gets the whole reply from its first chunk (a
     * replaying sink), however late it joined. When the reply completes it is stored (if any client wanted it
     * stored), and only then does the flight leave the map, so that a request arriving meanwhile joins it instead of
     * missing the entry on its way.
     */
    private final class Flight {

        final RouteTrace trace;
        private final String key;
        private final boolean registered;
        private final Flux<ChatChunk> source;
        private final Sinks.Many<ChatChunk> sink = Sinks.many().replay().all();
        private final Disposable.Swap call = Disposables.swap();
        private final Recording recording = new Recording(properties.maxEntryBytes());
        // Guarded by this. A flight is per request key: no lock is shared by unrelated requests.
        private int clients;
        private boolean started;
        private boolean ended;
        private boolean abandoned;
        private Duration storeFor;

        Flight(String key, boolean registered, Flux<ChatChunk> source, RouteTrace trace) {
            this.key = key;
            this.registered = registered;
            this.source = source;
            this.trace = trace;
        }

        synchronized void wantStored(Duration ttl) {
            if (storeFor == null || ttl.compareTo(storeFor) > 0) {
                storeFor = ttl;
            }
        }

        /** One client's stream; {@code abandoned} when the flight was given up before this client subscribed. */
        Flux<ChatChunk> participant(Supplier<Flux<ChatChunk>> abandoned) {
            return Flux.deferContextual(context -> {
                boolean joined;
                boolean first;
                synchronized (this) {
                    joined = !this.abandoned;
                    first = joined && !started;
                    if (joined) {
                        clients++;
                        started = true;
                    }
                }
                if (!joined) {
                    return abandoned.get();
                }
                Flux<ChatChunk> mine = sink.asFlux().doFinally(this::left);
                // The call runs in the first client's context (its caller, its request id in logs).
                return first ? mine.doOnSubscribe(subscription -> start(context)) : mine;
            });
        }

        private void start(ContextView context) {
            call.update(source.contextWrite(context)
                    .subscribe(this::next, this::failed, this::completed));
        }

        private void next(ChatChunk chunk) {
            recording.add(chunk);
            sink.tryEmitNext(chunk);
        }

        private void failed(Throwable failure) {
            synchronized (this) {
                ended = true;
            }
            leaveMap();
            sink.tryEmitError(failure);
        }

        private void completed() {
            Duration ttl;
            synchronized (this) {
                ended = true;
                ttl = storeFor;
            }
            sink.tryEmitComplete();
            List<ChatChunk> chunks = recording.complete();
            if (chunks == null) {
                if (recording.tooLarge) {
                    meters.tooLarge.increment();
                }
                leaveMap();
                return;
            }
            if (ttl == null) {
                leaveMap();
                return;
            }
            String provider = trace.servedBy() == null ? null : trace.servedBy().toString();
            write(key, new CachedReply(chunks, provider, System.currentTimeMillis()), ttl, this::leaveMap);
        }

        private void left(SignalType signal) {
            boolean abandon;
            synchronized (this) {
                clients--;
                abandon = clients == 0 && !ended && signal == SignalType.CANCEL;
                if (abandon) {
                    abandoned = true;
                    // In the same step: a request must never find a flight in the map that it cannot join.
                    leaveMap();
                }
            }
            if (abandon) {
                call.dispose();
            }
        }

        private void leaveMap() {
            if (registered) {
                flights.remove(key, this);
            }
        }
    }

    /**
     * The chunks of one reply as they pass, for storing: dropped as soon as they are sure to be over the size limit,
     * so that a long reply is not held twice. Signals of one call are serialised: plain fields suffice.
     */
    private static final class Recording {

        private final int maxBytes;
        private List<ChatChunk> chunks = new ArrayList<>();
        private long bytes;
        private boolean finished;
        boolean tooLarge;

        Recording(int maxBytes) {
            this.maxBytes = maxBytes;
        }

        void add(ChatChunk chunk) {
            if (chunk instanceof ChatChunk.Finish) {
                finished = true;
            }
            if (tooLarge) {
                return;
            }
            bytes += lowerBound(chunk);
            if (bytes > maxBytes) {
                tooLarge = true;
                chunks = null;
                return;
            }
            chunks.add(chunk);
        }

        /** The chunks of a reply that finished and may fit, else {@code null}. */
        List<ChatChunk> complete() {
            return finished && !tooLarge ? chunks : null;
        }

        /** At most the size of the chunk's encoding: every character is at least one byte of UTF-8. */
        private static long lowerBound(ChatChunk chunk) {
            if (chunk instanceof ChatChunk.TextDelta text) {
                return 5 + text.text().length();
            }
            if (chunk instanceof ChatChunk.ToolCallDelta call) {
                return 17 + length(call.id()) + length(call.name()) + length(call.argumentsDelta());
            }
            return 2;
        }

        private static int length(String text) {
            return text == null ? 0 : text.length();
        }
    }
}
