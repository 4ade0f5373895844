package dev.sluice.gateway.chat;

import java.util.function.Supplier;

import dev.sluice.gateway.cache.CacheListener;
import dev.sluice.gateway.cache.CacheStatus;
import dev.sluice.gateway.conversation.Turn;
import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatReply;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.ReplyCost;
import dev.sluice.gateway.routing.Router;
import dev.sluice.gateway.routing.RoutingTally;

/**
 * Everything one chat's stages need to know of its reply, kept in one place: filled chunk by chunk by
 * {@link ChatCall}'s one operator (the first token, the characters, the finish, the usage, and the whole reply when
 * someone needs it), told by routing who serves and how long it waited on upstreams (the {@link RoutingTally} it
 * extends), told by the cache what it did, and ended once (completed, failed or cancelled). Quota, cache, history,
 * the access line and the metrics read it once the reply has ended; the response headers read it as they are sent.
 * <p>
 * The stages see it through the narrow views they declare ({@link Router.Listener}, {@link CacheListener},
 * {@link ReplyCost}, {@link Turn.Answer}), so that none of them depends on the chat use case.
 * <p>
 * Chunks come on the reply's serialised signals. The end and the headers may be read on another thread (a client's
 * cancel, the response's commit): what they read is volatile, or written before {@link #counted}, which is.
 */
public final class Tally extends RoutingTally implements CacheListener, ReplyCost, Turn.Answer {

    /** How a reply ended. */
    public enum Outcome { COMPLETED, FAILED, CANCELLED }

    // Per chunk, from the reply's serialised signals.
    private ChatReply.Builder whole;
    private long replyChars;
    private long firstTokenAt;
    private FinishReason finishReason;
    private ChatChunk.Usage usage;
    /** Written last for each chunk: whoever reads it sees the chunks' fields up to there. */
    private volatile boolean counted;
    // From the cache and the end.
    private volatile CacheStatus cacheStatus;
    private volatile Supplier<String> servedElsewhere;
    private volatile Outcome outcome;
    private volatile Throwable failure;

    Tally(long startedAt) {
        super(startedAt);
    }

    /** Keeps the text and the tool calls too, for a whole reply or the history: before the first chunk. */
    void keepWholeReply() {
        if (whole == null) {
            whole = new ChatReply.Builder();
        }
    }

    /** The one thing done per chunk. */
    void add(ChatChunk chunk) {
        if (chunk instanceof ChatChunk.TextDelta text) {
            if (firstTokenAt == 0) {
                firstTokenAt = System.nanoTime();
            }
            replyChars += text.text().length();
        }
        else if (chunk instanceof ChatChunk.ToolCallDelta call) {
            if (firstTokenAt == 0) {
                firstTokenAt = System.nanoTime();
            }
            replyChars += length(call.name()) + length(call.argumentsDelta());
        }
        else if (chunk instanceof ChatChunk.Extra extra) {
            // Reasoning and other choices are the model's writing too, billed as output.
            if (firstTokenAt == 0 && extra.hasContent()) {
                firstTokenAt = System.nanoTime();
            }
            replyChars += extra.message().length();
        }
        else if (chunk instanceof ChatChunk.Finish finish) {
            finishReason = finish.reason();
        }
        else if (chunk instanceof ChatChunk.Usage reported) {
            usage = reported;
        }
        if (whole != null) {
            whole.add(chunk);
        }
        counted = true;
    }

    /** Ends the tally once; {@code false} if it had ended already. */
    boolean end(Outcome how, Throwable error) {
        synchronized (this) {
            if (outcome != null) {
                return false;
            }
            failure = error;
            outcome = how;
        }
        upstreamStopped();
        return true;
    }

    // --- what the cache tells

    @Override
    public void cacheStatus(CacheStatus status) {
        cacheStatus = status;
    }

    @Override
    public void servedElsewhere(Supplier<String> provider) {
        servedElsewhere = provider;
    }

    // --- what the stages read

    /**
     * Who made the reply: the provider this request called, else the one behind the cached or shared reply it got,
     * else {@code null}.
     */
    public String provider() {
        String own = servedBy();
        return own != null ? own : providerElsewhere();
    }

    /** The {@code provider/model} behind a cached or shared reply, when this request made no call, else {@code null}. */
    public String providerElsewhere() {
        Supplier<String> elsewhere = servedElsewhere;
        return elsewhere == null ? null : elsewhere.get();
    }

    /** What the cache did; {@code null} while undecided, or when the cache is off. */
    public CacheStatus cacheStatus() {
        return cacheStatus;
    }

    /** Whether the reply is a replay of a stored one. */
    public boolean cached() {
        return cacheStatus == CacheStatus.HIT;
    }


    @Override
    public long replyChars() {
        return counted() ? replyChars : 0;
    }

    @Override
    public ChatChunk.Usage usage() {
        return counted() ? usage : null;
    }

    /** {@link System#nanoTime()} of the first text or tool call, or 0 without one. */
    @Override
    public long firstTokenAt() {
        return counted() ? firstTokenAt : 0;
    }

    /** The finish the reply reported, or {@code null} if it did not get that far. */
    @Override
    public FinishReason finishReason() {
        return counted() ? finishReason : null;
    }

    /** The text so far, when the whole reply is kept, else empty. */
    @Override
    public String text() {
        return counted() && whole != null ? whole.text() : "";
    }

    /** The whole reply; it was asked for with {@link #keepWholeReply()} before the first chunk. */
    ChatReply reply() {
        return counted() && whole != null ? whole.build() : new ChatReply.Builder().build();
    }

    /** How the reply ended, or {@code null} while it goes on. */
    public Outcome outcome() {
        return outcome;
    }

    @Override
    public boolean cancelled() {
        return outcome == Outcome.CANCELLED;
    }

    /** What broke the reply, or {@code null}. */
    @Override
    public Throwable failure() {
        return failure;
    }

    /** Read first, it makes the chunks' fields, up to the last chunk counted, visible to this thread. */
    private boolean counted() {
        return counted;
    }

    private static int length(String text) {
        return text == null ? 0 : text.length();
    }
}
