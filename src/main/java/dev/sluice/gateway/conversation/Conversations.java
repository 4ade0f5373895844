package dev.sluice.gateway.conversation;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import dev.sluice.gateway.web.Ids;
import dev.sluice.gateway.web.Page;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Mono;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * Conversations and their messages: the context a new message is sent with, and the read side of the history.
 * <p>
 * Writes go through the {@link HistoryWriter}, so a row may reach the database a little after the reply that
 * produced it. To keep a follow-up message from missing its context in that gap (or while the database is
 * down), each replica remembers the tail of the conversations it served recently, with the messages it has
 * not necessarily stored yet; a conversation it does not remember is read from the database. A conversation
 * deleted on one replica is forgotten by the others within seconds, through Redis when it is configured
 * ({@link ConversationDeletions}).
 * <p>
 * Anonymous callers (the embedded default) keep history too, under the one anonymous account: the newcomer on
 * their own machine expects their conversations to be there. In production anonymous access is off.
 */
public class Conversations {

    static final int MAX_LIMIT = 100;
    static final int DEFAULT_LIMIT = 20;
    static final int MAX_TITLE = 80;
    /** Until the database answers again, a conversation this replica does not remember cannot be continued. */
    private static final Duration RETRY_AFTER = Duration.ofSeconds(5);

    private static final String LIST = list("");
    private static final String LIST_BEFORE = list(" AND (updated_at < :at OR (updated_at = :at AND id < :id))");
    private static final String MESSAGES = messages("");
    private static final String MESSAGES_BEFORE = messages(" AND (created_at < :at OR (created_at = :at AND id < :id))");

    private final DatabaseClient database;
    private final HistoryWriter writer;
    private final HistoryProperties properties;
    private volatile Consumer<UUID> deletions = conversation -> { };
    private final Cache<UUID, Recent> recent = Caffeine.newBuilder()
            .maximumWeight(64L * 1024 * 1024)
            .weigher((UUID id, Recent tail) -> tail.weight())
            .expireAfterAccess(Duration.ofMinutes(30))
            .build();
    /** Messages offered recently, by id, with their owner: feedback may name one before it is stored. */
    private final Cache<UUID, UUID> recentMessages = Caffeine.newBuilder()
            .maximumSize(100_000)
            .expireAfterWrite(Duration.ofMinutes(10))
            .build();

    Conversations(DatabaseClient database, HistoryWriter writer, HistoryProperties properties) {
        this.database = database;
        this.writer = writer;
        this.properties = properties;
    }

    /**
     * Starts a turn: a new conversation when {@code conversationId} is {@code null}, else the caller's
     * conversation with that id (another user's, or none, is a 404) and its latest messages as context.
     */
    public Mono<Turn> begin(Caller caller, String conversationId, List<ChatMessage> newMessages) {
        if (conversationId == null) {
            return Mono.just(new Turn(this, caller.id(), Ids.uuid(), true, title(newMessages), List.of(), newMessages));
        }
        UUID id = parseId("conversation_id", conversationId);
        Recent known = recent.getIfPresent(id);
        if (known != null) {
            if (!known.owner().equals(caller.id())) {
                return Mono.error(notFound(id));
            }
            return Mono.just(new Turn(this, caller.id(), id, false, null, window(known.tail()), newMessages));
        }
        return database.sql("SELECT user_id FROM conversations WHERE id = :id").bind("id", id)
                .map((row, metadata) -> row.get("user_id", UUID.class))
                .one()
                .filter(caller.id()::equals)
                .switchIfEmpty(Mono.error(() -> notFound(id)))
                .flatMap(owner -> database.sql("""
                                SELECT role, content, status FROM messages WHERE conversation_id = :id
                                ORDER BY created_at DESC, id DESC LIMIT :n""")
                        .bind("id", id).bind("n", Math.max(1, properties.contextMessages()))
                        .map((row, metadata) -> stored(row.get("role", String.class), row.get("content", String.class)))
                        .all()
                        .filter(message -> message != null)
                        .collectList())
                .timeout(properties.loadTimeout(), Mono.error(() -> new QueryTimeoutException(
                        "Conversation " + id + " not loaded within " + properties.loadTimeout())))
                .map(newestFirst -> {
                    List<ChatMessage> tail = new ArrayList<>(newestFirst);
                    Collections.reverse(tail);
                    recent.asMap().putIfAbsent(id, new Recent(caller.id(), List.copyOf(tail)));
                    return new Turn(this, caller.id(), id, false, null, window(tail), newMessages);
                })
                // Not without its context: that would answer another question than the one asked, and store the
                // answer as if it had been. Nor without knowing whose conversation it is.
                .onErrorMap(failure -> !(failure instanceof GatewayException), failure -> new GatewayException(
                        ErrorCode.STORE_UNAVAILABLE, "Conversation history is unavailable for a moment; try again", null, RETRY_AFTER));
    }

    /** A stored message as context, or {@code null} for one that carries nothing (a reply that failed at once). */
    private static ChatMessage stored(String role, String content) {
        Role parsed = Role.fromWire(role);
        if (parsed == null || content == null || content.isEmpty()) {
            return null;
        }
        return ChatMessage.of(parsed, content);
    }

    /** The newest messages that fit both the message count and the token budget (about four characters a token). */
    List<ChatMessage> window(List<ChatMessage> oldestFirst) {
        int tokens = 0;
        int from = oldestFirst.size();
        while (from > 0 && oldestFirst.size() - from < properties.contextMessages()) {
            ChatMessage message = oldestFirst.get(from - 1);
            int estimate = estimateTokens(message.content());
            if (tokens + estimate > properties.contextTokens()) {
                break;
            }
            tokens += estimate;
            from--;
        }
        return List.copyOf(oldestFirst.subList(from, oldestFirst.size()));
    }

    static int estimateTokens(String content) {
        return content == null ? 0 : (content.length() + 3) / 4;
    }

    /** The first user message, on one line, at most {@value #MAX_TITLE} characters. */
    static String title(List<ChatMessage> messages) {
        for (ChatMessage message : messages) {
            if (message.role() == Role.USER && message.content() != null && !message.content().isBlank()) {
                String line = message.content().strip().replaceAll("\\s+", " ");
                return line.length() <= MAX_TITLE ? line : line.substring(0, MAX_TITLE - 1).stripTrailing() + "…";
            }
        }
        return "New conversation";
    }

    /**
     * Offers a turn's rows to the writer and, once it has taken them, remembers them as the conversation's latest
     * messages. Rows it refused are not remembered either: they will not exist, on this replica or any other.
     */
    boolean store(UUID owner, UUID conversation, List<HistoryWrite> writes, List<ChatMessage> appended, boolean created) {
        if (!writer.offer(writes)) {
            return false;
        }
        for (HistoryWrite write : writes) {
            if (write instanceof HistoryWrite.Message message) {
                recentMessages.put(message.id(), owner);
            }
        }
        int keep = Math.max(1, properties.contextMessages());
        recent.asMap().compute(conversation, (id, known) -> {
            if (known == null && !created) {
                return null;
            }
            List<ChatMessage> tail = new ArrayList<>(known == null ? List.of() : known.tail());
            tail.addAll(appended);
            if (tail.size() > keep) {
                tail = tail.subList(tail.size() - keep, tail.size());
            }
            return new Recent(owner, List.copyOf(tail));
        });
        return true;
    }

    /** Counts rows a turn does not offer, because the rows they belong with were refused. */
    void refused(int n) {
        writer.refused(n);
    }

    public Mono<Page<ConversationView>> list(UUID user, int limit, Cursor before) {
        DatabaseClient.GenericExecuteSpec query = database.sql(before == null ? LIST : LIST_BEFORE).bind("user", user).bind("limit", limit + 1);
        if (before != null) {
            query = query.bind("at", before.at()).bind("id", before.id());
        }
        return query.map((row, metadata) -> new ConversationView(row.get("id", UUID.class), row.get("title", String.class),
                        fromEpochMicros(row.get("created_at_us", Long.class)), fromEpochMicros(row.get("updated_at_us", Long.class))))
                .all()
                .collectList()
                .map(rows -> page(rows, limit, last -> new Cursor(last.updatedAt(), last.id())));
    }

    public Mono<Page<MessageView>> messages(UUID user, UUID conversation, int limit, Cursor before) {
        DatabaseClient.GenericExecuteSpec query = database.sql(before == null ? MESSAGES : MESSAGES_BEFORE)
                .bind("conversation", conversation).bind("user", user).bind("limit", limit + 1);
        if (before != null) {
            query = query.bind("at", before.at()).bind("id", before.id());
        }
        return query.map((row, metadata) -> new MessageView(row.get("id", UUID.class), row.get("role", String.class),
                        row.get("content", String.class), row.get("model", String.class), row.get("provider", String.class),
                        row.get("tokens_in", Integer.class), row.get("tokens_out", Integer.class),
                        row.get("ttft_ms", Long.class), row.get("duration_ms", Long.class),
                        row.get("finish_reason", String.class), row.get("status", String.class),
                        row.get("error", String.class), row.get("cost_usd", BigDecimal.class),
                        row.get("cost_estimated", Boolean.class), fromEpochMicros(row.get("created_at_us", Long.class))))
                .all()
                .collectList()
                // No message: an empty conversation of the caller's, or none of theirs at all.
                .flatMap(rows -> !rows.isEmpty() ? Mono.just(rows) : owned(user, conversation).thenReturn(rows))
                .map(rows -> page(rows, limit, last -> new Cursor(last.createdAt(), last.id())));
    }

    /** The caller's conversations, most recently active first, from the keyset condition {@code before} on. */
    private static String list(String before) {
        return "SELECT id, title, " + epochMicros("created_at") + ", " + epochMicros("updated_at")
                + " FROM conversations WHERE user_id = :user" + before + " ORDER BY updated_at DESC, id DESC LIMIT :limit";
    }

    /** A conversation's messages, newest first, from the keyset condition {@code before} on. */
    private static String messages(String before) {
        return "SELECT id, role, content, model, provider, tokens_in, tokens_out, ttft_ms, duration_ms, finish_reason,"
                + " status, error, cost_usd, cost_estimated, " + epochMicros("created_at")
                + " FROM messages WHERE conversation_id = :conversation AND user_id = :user" + before
                + " ORDER BY created_at DESC, id DESC LIMIT :limit";
    }

    private Mono<Void> owned(UUID user, UUID conversation) {
        return database.sql("SELECT 1 AS one FROM conversations WHERE id = :id AND user_id = :user")
                .bind("id", conversation).bind("user", user)
                .fetch().first()
                .switchIfEmpty(Mono.error(() -> notFound(conversation)))
                .then();
    }

    /** Deletes the caller's conversation with its messages and their feedback. */
    public Mono<Void> delete(UUID user, UUID conversation) {
        return database.sql("DELETE FROM conversations WHERE id = :id AND user_id = :user")
                .bind("id", conversation).bind("user", user)
                .fetch().rowsUpdated()
                .flatMap(deleted -> {
                    if (deleted == 0) {
                        return Mono.error(notFound(conversation));
                    }
                    recent.invalidate(conversation);
                    deletions.accept(conversation);
                    return Mono.empty();
                });
    }

    /** Calls {@code listener} with each conversation deleted here, to tell the other replicas. */
    void onDeleted(Consumer<UUID> listener) {
        deletions = listener;
    }

    /** Forgets a conversation deleted on another replica, so that it cannot be continued from this one's memory. */
    void forget(UUID conversation) {
        recent.invalidate(conversation);
    }

    /** Forgets every conversation: deletions may have been missed, and the database knows which still exist. */
    void forgetAll() {
        recent.invalidateAll();
    }

    /** Whether the message is in one of the user's conversations (stored, or offered here moments ago). */
    public Mono<Boolean> canSee(UUID user, UUID message) {
        if (user.equals(recentMessages.getIfPresent(message))) {
            return Mono.just(true);
        }
        return database.sql("SELECT 1 AS one FROM messages WHERE id = :id AND user_id = :user")
                .bind("id", message).bind("user", user)
                .fetch().first()
                .map(row -> true)
                .defaultIfEmpty(false);
    }

    HistoryProperties properties() {
        return properties;
    }

    private static <T> Page<T> page(List<T> rows, int limit, java.util.function.Function<T, Cursor> cursor) {
        if (rows.size() <= limit) {
            return Page.of(rows);
        }
        List<T> items = rows.subList(0, limit);
        return new Page<>(List.copyOf(items), cursor.apply(items.get(limit - 1)).encode());
    }

    static UUID parseId(String field, String text) {
        try {
            return UUID.fromString(text);
        }
        catch (IllegalArgumentException notAnId) {
            throw GatewayException.invalid(field, "is not a conversation id");
        }
    }

    static GatewayException notFound(UUID conversation) {
        return new GatewayException(ErrorCode.NOT_FOUND, "No conversation with id " + conversation);
    }

    /**
     * A timestamp column read as {@code <column>_us}, microseconds since the epoch (exact: timestamps are stored to
     * the microsecond). The PostgreSQL driver parses a {@code timestamptz} from text with a general date-time
     * formatter, which cost more than the rest of a page of messages together; a number is read in no time.
     * Portable: the same SQL runs on H2 (the embedded default). Not for WHERE or ORDER BY, which keep the column.
     */
    static String epochMicros(String column) {
        return "CAST(EXTRACT(EPOCH FROM " + column + ") * 1000000 AS BIGINT) AS " + column + "_us";
    }

    static OffsetDateTime fromEpochMicros(Long micros) {
        return micros == null ? null
                : Instant.EPOCH.plus(micros, ChronoUnit.MICROS).atOffset(ZoneOffset.UTC);
    }

    static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
    }

    /** The latest messages of a conversation this replica served, oldest first. */
    private record Recent(UUID owner, List<ChatMessage> tail) {

        int weight() {
            int chars = 64;
            for (ChatMessage message : tail) {
                chars += message.content() == null ? 0 : message.content().length();
            }
            return chars;
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ConversationView(UUID id, String title, OffsetDateTime createdAt, OffsetDateTime updatedAt) {
    }

    /** {@code costUsd} is a reply's, {@code null} for a question and for a reply whose model has no price. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record MessageView(UUID id, String role, String content, String model, String provider, Integer tokensIn,
            Integer tokensOut, Long ttftMs, Long durationMs, String finishReason, String status, String error,
            BigDecimal costUsd, Boolean costEstimated, OffsetDateTime createdAt) {
    }
}
