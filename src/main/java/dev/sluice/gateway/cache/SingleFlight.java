package dev.sluice.gateway.cache;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Function;

import dev.sluice.gateway.llm.ChatChunk;
import reactor.core.publisher.Flux;

/**
 * Identical requests in flight on this replica share one upstream call: the {@link Flight}s by request key.
 * <p>
 * The handover from a flight to the store is what keeps a second call away. A flight leaves the map only once its
 * reply has been handed to the store (written, failed or refused), so a request either finds the flight or, looking
 * up after that, the entry. What that leaves open is a lookup that set out before the entry landed and came back
 * empty (or gave up: a busy Redis) after the flight had left: {@link #landedSince} tells such a request to look once
 * more, inside its own flight, before it calls upstream. Landings are counted per stripe of keys, not per key, so that nothing here grows
 * with the keys; a stripe shared with another key only costs that second look.
 */
final class SingleFlight {

    private static final int STRIPES = 1024;

    private final ConcurrentHashMap<String, Flight> flights = new ConcurrentHashMap<>();
    private final AtomicLongArray landings = new AtomicLongArray(STRIPES);
    private final ReplyWriter writer;
    private final int maxReplayBytes;

    SingleFlight(ReplyWriter writer, int maxReplayBytes) {
        this.writer = writer;
        this.maxReplayBytes = maxReplayBytes;
    }

    /** The flight for {@code key} on its way now, or {@code null}. */
    Flight flying(String key) {
        return flights.get(key);
    }

    /** A mark to hand to {@link #landedSince} later: read it before looking {@code key} up. */
    long landings(String key) {
        return landings.get(stripe(key));
    }

    /** Whether a flight of {@code key} (or of a key in its stripe) may have stored a reply since {@code mark}. */
    boolean landedSince(String key, long mark) {
        return landings.get(stripe(key)) != mark;
    }

    /**
     * A flight for {@code key}, not yet registered, led by the request {@code leader} which makes the upstream
     * {@code call} when the first client subscribes; the call is given the flight, for
     * {@link Flight#replayingStored()}.
     */
    Flight flight(String key, CacheListener leader, Function<Flight, Flux<ChatChunk>> call) {
        return new Flight(this, key, leader, call);
    }

    /** Puts {@code flight} in the map unless one of its key is there: then returns that one, to join instead. */
    Flight register(Flight flight) {
        return flights.putIfAbsent(flight.key, flight);
    }

    /** A flight no one else can find, for a request that must not be answered from the cache but may store its reply. */
    Flight unlisted(String key, CacheListener leader, Flux<ChatChunk> call) {
        return new Flight(this, key, leader, flight -> call);
    }

    /** Flights on their way on this replica now. */
    int size() {
        return flights.size();
    }

    ReplyWriter writer() {
        return writer;
    }

    int maxReplayBytes() {
        return maxReplayBytes;
    }

    /** {@code flight} leaves the map; {@code stored}: after handing its reply to the store. Harmless twice. */
    void left(Flight flight, boolean stored) {
        if (stored) {
            // Before the removal: whoever registers the next flight of this key then sees the landing.
            landings.incrementAndGet(stripe(flight.key));
        }
        flights.remove(flight.key, flight);
    }

    private static int stripe(String key) {
        int hash = key.hashCode();
        return (hash ^ (hash >>> 16)) & (STRIPES - 1);
    }
}
