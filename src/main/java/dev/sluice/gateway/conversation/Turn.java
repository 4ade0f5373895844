package dev.sluice.gateway.conversation;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.web.ApiErrorHandler;
import dev.sluice.gateway.web.GatewayException;
import dev.sluice.gateway.web.Ids;

/**
 * One exchange in a conversation: the caller's new messages and the reply to them. {@link #start} offers the
 * conversation (when new) and the caller's messages; {@link #end} offers the reply once it has ended, however
 * it ends: completed ({@code ok}), cut off by the client ({@code cancelled}, with the text so far) or broken
 * ({@code failed}, with the error). Both go through the write-behind buffer in that
 * order, so the conversation row and the question are stored before the answer.
 * <p>
 * The buffer may refuse either (it is full, or this user's share of it is). Then the reply says so: its
 * {@link #receipt()} names only rows that will exist. An answer whose question was refused is not offered.
 */
public final class Turn {

    private final Conversations conversations;
    private final UUID owner;
    private final UUID conversationId;
    private final boolean created;
    private final String title;
    private final List<ChatMessage> context;
    private final List<ChatMessage> newMessages;
    private final UUID replyId = Ids.uuid();
    private final long startedNanos = System.nanoTime();
    private OffsetDateTime lastStoredAt;
    private String model;
    private final AtomicBoolean ended = new AtomicBoolean();
    /** Whether the buffer took the conversation and the question, and then the answer; set once each. */
    private volatile boolean questionTaken;
    private volatile boolean answerTaken;

    Turn(Conversations conversations, UUID owner, UUID conversationId, boolean created, String title,
            List<ChatMessage> context, List<ChatMessage> newMessages) {
        this.conversations = conversations;
        this.owner = owner;
        this.conversationId = conversationId;
        this.created = created;
        this.title = title;
        this.context = context;
        this.newMessages = newMessages;
    }

    /**
     * What of this turn will be stored, once its reply has ended (the {@code done} event and the
     * {@code stream:false} reply carry it): the conversation's id, unless it is new and was refused; the reply's
     * id, unless it was refused; and whether everything was taken.
     */
    public Receipt receipt() {
        boolean stored = questionTaken && answerTaken;
        return new Receipt(created && !questionTaken ? null : conversationId, stored ? replyId : null, stored);
    }

    /** See {@link #receipt()}; a {@code null} id is a row that will not exist. */
    public record Receipt(UUID conversationId, UUID messageId, boolean stored) {
    }

    /** The conversation's latest messages that fit the context window, oldest first. */
    public List<ChatMessage> context() {
        return context;
    }

    /** Offers the conversation (when new) and the caller's messages; system messages are not history. */
    public void start(String model) {
        this.model = model;
        OffsetDateTime at = Conversations.now();
        List<HistoryWrite> writes = new ArrayList<>(newMessages.size() + 1);
        List<ChatMessage> appended = new ArrayList<>(newMessages.size());
        if (created) {
            writes.add(new HistoryWrite.NewConversation(conversationId, owner, title, at));
        }
        for (ChatMessage message : newMessages) {
            if (message.role() == Role.SYSTEM || message.content() == null) {
                continue;
            }
            // A microsecond apart, so that the order of the messages survives in created_at.
            at = at.plusNanos(1_000);
            writes.add(new HistoryWrite.Message(Ids.uuid(), conversationId, owner, message.role().wireName(),
                    message.content(), model, null, null, null, null, null, null, "ok", null, null, null, at));
            appended.add(message);
        }
        lastStoredAt = at;
        questionTaken = conversations.store(owner, conversationId, writes, appended, created);
    }

    /**
     * The reply has ended: offers it to history, once, with what {@code answer} (the request's tally) says of it:
     * {@code ok} when it completed, {@code cancelled} with the text so far, {@code failed} with the error; and what
     * it cost in USD ({@code null} when unpriced, or when no provider was called), {@code costEstimated} when that
     * is Sluice's estimate of a cut stream.
     */
    public void end(Answer answer, BigDecimal costUsd, Boolean costEstimated) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        long now = System.nanoTime();
        OffsetDateTime at = Conversations.now();
        if (lastStoredAt != null && !at.isAfter(lastStoredAt)) {
            at = lastStoredAt.plusNanos(1_000);
        }
        if (!questionTaken) {
            conversations.refused(1);
            return;
        }
        Throwable failure = answer.failure();
        String status = answer.cancelled() ? "cancelled" : failure != null ? "failed" : "ok";
        String error = null;
        if (failure != null) {
            GatewayException known = ApiErrorHandler.classify(failure);
            error = known.code().code() + ": " + known.getMessage(); // cut to its column when offered
        }
        String content = answer.text();
        ChatChunk.Usage usage = answer.usage();
        long firstTokenAt = answer.firstTokenAt();
        FinishReason finish = answer.finishReason();
        HistoryWrite.Message message = new HistoryWrite.Message(replyId, conversationId, owner, Role.ASSISTANT.wireName(),
                content, model, answer.servedBy(),
                usage == null ? null : usage.promptTokens(), usage == null ? null : usage.completionTokens(),
                firstTokenAt == 0 ? null : (firstTokenAt - startedNanos) / 1_000_000,
                (now - startedNanos) / 1_000_000, finish == null ? null : finish.wireName(), status, error, costUsd,
                costEstimated, at);
        answerTaken = conversations.store(owner, conversationId, List.of(message),
                content.isEmpty() ? List.of() : List.of(ChatMessage.of(Role.ASSISTANT, content)), false);
    }

    /** What history keeps of a reply, read once when it has ended. */
    public interface Answer {

        /** Its text (tool calls are not history). */
        String text();

        /** The {@code provider/model} this request called, or {@code null}. */
        String servedBy();

        /** The usage the provider reported, or {@code null}. */
        ChatChunk.Usage usage();

        /** {@link System#nanoTime()} of its first token, or 0 without one. */
        long firstTokenAt();

        /** The finish it reported, or {@code null} if it did not get that far. */
        FinishReason finishReason();

        /** Whether the client went away before it ended. */
        boolean cancelled();

        /** What broke it, or {@code null}. */
        Throwable failure();
    }
}
