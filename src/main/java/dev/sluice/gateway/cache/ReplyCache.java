package dev.sluice.gateway.cache;

import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatRequest;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The response cache on the chat path: answers a request from a stored reply when it can, otherwise fetches it
 * once for every identical request in flight on this replica ({@link SingleFlight}) and stores it when it completed
 * ({@link ReplyWriter}).
 * <p>
 * Which requests take part is {@code sluice.cache.when} with the request's {@code Cache-Control}; the others pass
 * by untouched ({@link CacheStatus#BYPASS}). Entries are per caller, or shared by everyone for the aliases in
 * {@code sluice.cache.shared-aliases}. Only a reply that ended with a finish is stored, never one that failed, was
 * cancelled or was cut short, nor one over {@code max-entry-bytes}. Lookups are bounded in time and degrade to a miss
 * ({@link ReplyStore}); writes leave the request path, bounded in number and time.
 */
public final class ReplyCache {

    private final CacheProperties properties;
    private final ReplyStore store;
    private final SingleFlight flights;
    private final CacheMeters meters;
    private final Set<String> sharedAliases;

    ReplyCache(CacheProperties properties, ResponseCache store, CacheMeters meters) {
        this.properties = properties;
        this.store = new ReplyStore(store, properties.lookupTimeout(), meters);
        this.flights = new SingleFlight(new ReplyWriter(store, properties, meters), properties.maxEntryBytes());
        this.meters = meters;
        this.sharedAliases = properties.sharedAliasSet();
    }

    /**
     * The reply to {@code request} of {@code user}, as its {@code Cache-Control} {@code directives} allow: replayed
     * from the cache, shared with an identical request in flight, or {@code upstream} (subscribed at most once, and
     * only when needed) with its complete reply stored. {@code listener} is this request's: it learns what happened,
     * for the response headers, and names who serves its call for the replies that share it.
     */
    public Flux<ChatChunk> serve(ChatRequest request, UUID user, CacheDirectives directives, CacheListener listener,
            Supplier<Flux<ChatChunk>> upstream) {
        if (!properties.enabled()) {
            return upstream.get();
        }
        boolean cacheable = cacheable(request, directives);
        if (!cacheable || !directives.mayLookUp()) {
            listener.cacheStatus(CacheStatus.BYPASS);
            meters.bypasses.increment();
            if (!cacheable || directives.noStore()) {
                return upstream.get();
            }
            // no-cache or max-age=0: not answered from the cache, but the fresh reply replaces the entry.
            return Flux.defer(() -> {
                Flight refresh = flights.unlisted(keyOf(request, user), listener, upstream.get());
                refresh.wantStored(ttl(directives));
                return refresh.participant(() -> { }, upstream);
            });
        }
        Request asked = new Request(directives, listener, upstream);
        return Flux.defer(() -> lookUp(keyOf(request, user), asked));
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
                Double temperature = request.sampling().temperature();
                return temperature != null && temperature == 0.0 || directives.optedIn();
        }
    }

    private Duration ttl(CacheDirectives directives) {
        Duration maxAge = directives.maxAge();
        return maxAge != null && maxAge.compareTo(properties.ttl()) < 0 ? maxAge : properties.ttl();
    }

    /** The key in the caller's scope, or the shared one for a shared alias. */
    private String keyOf(ChatRequest request, UUID user) {
        return CacheKey.of(properties.keyPrefix(), sharedAliases.contains(request.model()) ? "shared" : user.toString(),
                request);
    }

    private Flux<ChatChunk> lookUp(String key, Request asked) {
        // Joining a flight first spares the lookup.
        Flight flying = flights.flying(key);
        if (flying != null) {
            return join(flying, key, asked);
        }
        long landings = flights.landings(key);
        return store.lookUp(key, asked.directives.maxAge())
                .flatMapMany(reply -> hit(reply, asked.listener))
                .switchIfEmpty(Flux.defer(() -> miss(key, landings, asked)));
    }

    private Flux<ChatChunk> hit(CachedReply reply, CacheListener listener) {
        listener.cacheStatus(CacheStatus.HIT);
        listener.servedElsewhere(reply::provider);
        meters.hits.increment();
        meters.savedByHit.increment();
        return Flux.fromIterable(reply.chunks());
    }

    /** Registers a flight for {@code key}, or joins the one registered meanwhile. */
    private Flux<ChatChunk> miss(String key, long landings, Request asked) {
        Flight created = flights.flight(key, asked.listener, flight -> Flux.defer(() -> {
            if (!flights.landedSince(key, landings)) {
                meters.misses.increment();
                return asked.upstream.get();
            }
            // An entry may have landed after this request's lookup read the store: look again before calling.
            return store.lookUp(key, asked.directives.maxAge())
                    .flatMapMany(reply -> {
                        flight.replayingStored();
                        return hit(reply, asked.listener);
                    })
                    .switchIfEmpty(Flux.defer(() -> {
                        meters.misses.increment();
                        return asked.upstream.get();
                    }));
        }));
        // Before the flight is seen: a joiner may start the call at once.
        asked.listener.cacheStatus(CacheStatus.MISS);
        if (!asked.directives.noStore()) {
            created.wantStored(ttl(asked.directives));
        }
        Flight flying = flights.register(created);
        if (flying != null) {
            return join(flying, key, asked);
        }
        return created.participant(() -> { }, () -> lookUp(key, asked));
    }

    private Flux<ChatChunk> join(Flight flight, String key, Request asked) {
        // The flight may have been abandoned by all its clients, or outgrown its replay, before this one came in: it
        // has left the map by then, and this request starts over.
        return flight.participant(() -> {
            asked.listener.cacheStatus(CacheStatus.MISS);
            asked.listener.servedElsewhere(flight.leader::servedBy);
            meters.misses.increment();
            meters.savedBySharing.increment();
            if (!asked.directives.noStore()) {
                flight.wantStored(ttl(asked.directives));
            }
        }, () -> lookUp(key, asked));
    }

    /** One request's way through the lookup, the flights and the store. */
    private record Request(CacheDirectives directives, CacheListener listener, Supplier<Flux<ChatChunk>> upstream) {
    }
}
