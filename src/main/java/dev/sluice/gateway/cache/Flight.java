package dev.sluice.gateway.cache;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.sluice.gateway.llm.ChatChunk;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.SignalType;
import reactor.core.publisher.Sinks;
import reactor.util.context.ContextView;

/**
 * One upstream call and every client that wants its reply. The call starts when the first client subscribes and goes
 * on while any client remains: a client that leaves takes only its own stream with it, and when the last one leaves
 * before the end, the call is cancelled.
 * <p>
 * A client that joins late gets the reply from its first chunk, replayed from the flight's {@link ReplayBuffer}. That
 * buffer is bounded by {@code max-entry-bytes}: once the reply outgrows it, the flight drops it, leaves the map and
 * takes no one new (a reply that size is not stored either), while its clients go on getting the rest as it comes.
 * When the reply completes it is stored if any client wanted it stored, and only then does the flight leave the map.
 */
final class Flight {

    final String key;
    /** The request whose call this is: who serves it is who made the reply. */
    final CacheListener leader;
    private final SingleFlight owner;
    private final Function<Flight, Flux<ChatChunk>> call;
    private final Disposable.Swap running = Disposables.swap();
    // Guarded by this. A flight is per request key: no lock is shared by unrelated requests. Chunks are sent to the
    // clients outside it; the signals of one call are serialised, so each client still gets them in order.
    private List<Sinks.Many<ChatChunk>> clients = List.of();
    private ReplayBuffer replay;
    private boolean outgrown;
    private boolean started;
    private boolean ended;
    private boolean abandoned;
    private boolean fromStore;
    private Throwable failure;
    private Duration storeFor;

    Flight(SingleFlight owner, String key, CacheListener leader, Function<Flight, Flux<ChatChunk>> call) {
        this.owner = owner;
        this.key = key;
        this.leader = leader;
        this.call = call;
        this.replay = new ReplayBuffer(owner.maxReplayBytes());
    }

    /** A client wants the reply stored for {@code ttl}; the longest wish wins. */
    synchronized void wantStored(Duration ttl) {
        if (storeFor == null || ttl.compareTo(storeFor) > 0) {
            storeFor = ttl;
        }
    }

    /** The call replays a stored entry: it is not written again. */
    synchronized void replayingStored() {
        fromStore = true;
    }

    /**
     * One client's stream. {@code joined} runs once the client is in; when the flight can no longer take it
     * (abandoned, or its reply outgrew the replay buffer), the client gets {@code instead} and {@code joined} does
     * not run.
     */
    Flux<ChatChunk> participant(Runnable joined, Supplier<Flux<ChatChunk>> instead) {
        return Flux.deferContextual(context -> {
            Sinks.Many<ChatChunk> mine = Sinks.many().unicast().onBackpressureBuffer();
            boolean first;
            synchronized (this) {
                if (abandoned || replay == null) {
                    mine = null;
                    first = false;
                }
                else {
                    first = !started;
                    started = true;
                    for (ChatChunk chunk : replay.chunks()) {
                        mine.tryEmitNext(chunk);
                    }
                    if (!ended) {
                        clients = with(clients, mine);
                    }
                    else if (failure != null) {
                        mine.tryEmitError(failure);
                    }
                    else {
                        mine.tryEmitComplete();
                    }
                }
            }
            if (mine == null) {
                return instead.get();
            }
            joined.run();
            Sinks.Many<ChatChunk> client = mine;
            Flux<ChatChunk> stream = client.asFlux().doFinally(signal -> left(client, signal));
            // The call runs in the first client's context (its caller, its request id in logs).
            return first ? stream.doOnSubscribe(subscription -> start(context)) : stream;
        });
    }

    private void start(ContextView context) {
        running.update(call.apply(this).contextWrite(context).subscribe(this::next, this::failed, this::completed));
    }

    private void next(ChatChunk chunk) {
        List<Sinks.Many<ChatChunk>> to;
        synchronized (this) {
            if (replay != null && !replay.add(chunk)) {
                replay = null;
                outgrown = true;
                // In the same step: a request must never find a flight in the map that it cannot join.
                owner.left(this, false);
            }
            to = clients;
        }
        for (Sinks.Many<ChatChunk> client : to) {
            client.tryEmitNext(chunk);
        }
    }

    private void failed(Throwable error) {
        List<Sinks.Many<ChatChunk>> to;
        synchronized (this) {
            ended = true;
            failure = error;
            to = clients;
            clients = List.of();
        }
        owner.left(this, false);
        for (Sinks.Many<ChatChunk> client : to) {
            client.tryEmitError(error);
        }
    }

    private void completed() {
        List<Sinks.Many<ChatChunk>> to;
        ReplayBuffer reply;
        Duration ttl;
        boolean stored;
        boolean tooLarge;
        synchronized (this) {
            ended = true;
            to = clients;
            clients = List.of();
            reply = replay;
            ttl = storeFor;
            stored = fromStore;
            tooLarge = outgrown;
        }
        for (Sinks.Many<ChatChunk> client : to) {
            client.tryEmitComplete();
        }
        if (tooLarge) {
            if (ttl != null) {
                owner.writer().tooLarge();
            }
            return;
        }
        if (stored || ttl == null || !reply.finished()) {
            owner.left(this, false);
            return;
        }
        owner.writer().write(key, new CachedReply(reply.chunks(), leader.servedBy(), System.currentTimeMillis()), ttl,
                attempted -> owner.left(this, attempted));
    }

    private void left(Sinks.Many<ChatChunk> client, SignalType signal) {
        boolean abandon;
        synchronized (this) {
            clients = without(clients, client);
            abandon = clients.isEmpty() && !ended && signal == SignalType.CANCEL;
            if (abandon) {
                abandoned = true;
                owner.left(this, false);
            }
        }
        if (abandon) {
            running.dispose();
        }
    }

    private static List<Sinks.Many<ChatChunk>> with(List<Sinks.Many<ChatChunk>> clients, Sinks.Many<ChatChunk> client) {
        List<Sinks.Many<ChatChunk>> more = new ArrayList<>(clients.size() + 1);
        more.addAll(clients);
        more.add(client);
        return more;
    }

    private static List<Sinks.Many<ChatChunk>> without(List<Sinks.Many<ChatChunk>> clients, Sinks.Many<ChatChunk> client) {
        if (!clients.contains(client)) {
            return clients;
        }
        List<Sinks.Many<ChatChunk>> fewer = new ArrayList<>(clients);
        fewer.remove(client);
        return fewer;
    }
}
