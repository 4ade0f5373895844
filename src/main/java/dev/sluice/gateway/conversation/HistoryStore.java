package dev.sluice.gateway.conversation;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

import io.r2dbc.spi.Parameters;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Stores a batch of history writes with a few multi-row statements: new conversations first, then messages,
 * then the conversations' activity time, then feedback, then usage records. Every statement is idempotent (inserts ignore rows
 * whose id exists), so a batch that failed half-way, or whose commit was lost with the connection, can simply
 * be stored again.
 * <p>
 * A multi-row insert has as many rows as a power of two (a batch of 13 rows is inserted as 8, 4 and 1): every distinct
 * statement text is kept by Spring's parsed-SQL cache, by the driver's statement cache of each pooled connection and
 * as a prepared statement of each PostgreSQL session, so one text per batch size (up to {@code batch-size}, 200) made
 * the heap grow by tens of megabytes under load (docs/benchmarks.md, "Memory across repeated loads"); this way there
 * are at most eight per table at the default batch size (ten at the largest allowed).
 */
class HistoryStore {

    private static final String MESSAGE_COLUMNS = "id, conversation_id, user_id, role, content, model, provider, "
            + "tokens_in, tokens_out, ttft_ms, duration_ms, finish_reason, status, error, cost_usd, cost_estimated, created_at";
    private static final String USAGE_COLUMNS = "id, user_id, api_key_id, end_user, kind, model, provider, provider_model, "
            + "usage_date, input_tokens, output_tokens, cached_input_tokens, cost_usd, estimated, cache_hit, created_at";

    private final DatabaseClient database;

    HistoryStore(DatabaseClient database) {
        this.database = database;
    }

    Mono<Void> write(List<HistoryWrite> batch) {
        List<HistoryWrite.NewConversation> conversations = new ArrayList<>();
        List<HistoryWrite.Message> messages = new ArrayList<>();
        List<HistoryWrite.Feedback> feedback = new ArrayList<>();
        List<HistoryWrite.Usage> usage = new ArrayList<>();
        Map<UUID, OffsetDateTime> active = new LinkedHashMap<>();
        for (HistoryWrite write : batch) {
            if (write instanceof HistoryWrite.NewConversation conversation) {
                conversations.add(conversation);
            }
            else if (write instanceof HistoryWrite.Message message) {
                messages.add(message);
                active.merge(message.conversationId(), message.createdAt(), (a, b) -> a.isAfter(b) ? a : b);
            }
            else if (write instanceof HistoryWrite.Feedback rating) {
                feedback.add(rating);
            }
            else if (write instanceof HistoryWrite.Usage call) {
                usage.add(call);
            }
        }
        return inPowersOfTwo(conversations, this::insertConversations)
                .then(inPowersOfTwo(messages, this::insertMessages))
                .then(Flux.fromIterable(active.entrySet()).concatMap(entry -> touch(entry.getKey(), entry.getValue())).then())
                .then(Flux.fromIterable(feedback).concatMap(this::upsert).then())
                .then(inPowersOfTwo(usage, this::insertUsage));
    }

    /** {@code rows} as slices of the sizes {@link #powersOfTwo} gives, each inserted in turn. */
    private static <T> Mono<Void> inPowersOfTwo(List<T> rows, Function<List<T>, Mono<Void>> insert) {
        if (rows.isEmpty()) {
            return Mono.empty();
        }
        List<List<T>> slices = new ArrayList<>();
        int from = 0;
        for (int size : powersOfTwo(rows.size())) {
            slices.add(rows.subList(from, from + size));
            from += size;
        }
        return Flux.fromIterable(slices).concatMap(insert).then();
    }

    /** {@code n} as a sum of distinct powers of two, largest first: 13 is 8, 4, 1. */
    static List<Integer> powersOfTwo(int n) {
        List<Integer> sizes = new ArrayList<>(Integer.bitCount(n));
        for (int bit = Integer.highestOneBit(n); bit > 0; bit >>= 1) {
            if ((n & bit) != 0) {
                sizes.add(bit);
            }
        }
        return sizes;
    }

    private Mono<Void> insertConversations(List<HistoryWrite.NewConversation> rows) {
        StringBuilder sql = new StringBuilder("INSERT INTO conversations (id, user_id, title, created_at, updated_at) VALUES ");
        for (int i = 0; i < rows.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append("(:id").append(i).append(", :user").append(i).append(", :title").append(i)
                    .append(", :at").append(i).append(", :at").append(i).append(')');
        }
        sql.append(" ON CONFLICT DO NOTHING");
        Values values = new Values(rows.size() * 4);
        for (int i = 0; i < rows.size(); i++) {
            HistoryWrite.NewConversation row = rows.get(i);
            values.put("id" + i, row.id()).put("user" + i, row.userId()).put("title" + i, row.title())
                    .put("at" + i, row.createdAt());
        }
        return database.sql(sql.toString()).bindValues(values.byName).then();
    }

    private Mono<Void> insertMessages(List<HistoryWrite.Message> rows) {
        Values values = new Values(rows.size() * 17);
        for (int i = 0; i < rows.size(); i++) {
            HistoryWrite.Message row = rows.get(i);
            values.put("id" + i, row.id())
                    .put("conversation_id" + i, row.conversationId())
                    .put("user_id" + i, row.userId())
                    .put("role" + i, row.role())
                    .put("content" + i, row.content())
                    .orNull("model" + i, row.model(), String.class)
                    .orNull("provider" + i, row.provider(), String.class)
                    .orNull("tokens_in" + i, row.tokensIn(), Integer.class)
                    .orNull("tokens_out" + i, row.tokensOut(), Integer.class)
                    .orNull("ttft_ms" + i, row.ttftMs(), Long.class)
                    .orNull("duration_ms" + i, row.durationMs(), Long.class)
                    .orNull("finish_reason" + i, row.finishReason(), String.class)
                    .put("status" + i, row.status())
                    .orNull("error" + i, row.error(), String.class)
                    .orNull("cost_usd" + i, row.costUsd(), BigDecimal.class)
                    .orNull("cost_estimated" + i, row.costEstimated(), Boolean.class)
                    .put("created_at" + i, row.createdAt());
        }
        return database.sql(insert("messages", MESSAGE_COLUMNS, rows.size())).bindValues(values.byName).then();
    }

    private Mono<Void> insertUsage(List<HistoryWrite.Usage> rows) {
        Values values = new Values(rows.size() * 16);
        for (int i = 0; i < rows.size(); i++) {
            HistoryWrite.Usage row = rows.get(i);
            values.put("id" + i, row.id())
                    .put("user_id" + i, row.userId())
                    .orNull("api_key_id" + i, row.apiKeyId(), UUID.class)
                    .orNull("end_user" + i, row.endUser(), String.class)
                    .put("kind" + i, row.kind())
                    .put("model" + i, row.model())
                    .put("provider" + i, row.provider())
                    .put("provider_model" + i, row.providerModel())
                    .put("usage_date" + i, row.day())
                    .put("input_tokens" + i, row.inputTokens())
                    .put("output_tokens" + i, row.outputTokens())
                    .put("cached_input_tokens" + i, row.cachedInputTokens())
                    .orNull("cost_usd" + i, row.costUsd(), BigDecimal.class)
                    .put("estimated" + i, row.estimated())
                    .put("cache_hit" + i, row.cacheHit())
                    .put("created_at" + i, row.createdAt());
        }
        return database.sql(insert("usage_records", USAGE_COLUMNS, rows.size())).bindValues(values.byName).then();
    }

    /** A multi-row insert of {@code rows} rows, each column bound as {@code :<column><row>}, that skips ids stored already. */
    private static String insert(String table, String columns, int rows) {
        StringBuilder sql = new StringBuilder("INSERT INTO " + table + " (" + columns + ") VALUES ");
        String[] names = columns.split(", ");
        for (int i = 0; i < rows; i++) {
            sql.append(i == 0 ? "(" : ", (");
            for (int c = 0; c < names.length; c++) {
                sql.append(c == 0 ? ":" : ", :").append(names[c]).append(i);
            }
            sql.append(')');
        }
        return sql.append(" ON CONFLICT DO NOTHING").toString();
    }

    private Mono<Void> touch(UUID conversation, OffsetDateTime at) {
        return database.sql("UPDATE conversations SET updated_at = :at WHERE id = :id AND updated_at < :at")
                .bind("at", at).bind("id", conversation).then();
    }

    /** Update, else insert; an insert that lost a race with another replica's is followed by the update. */
    private Mono<Void> upsert(HistoryWrite.Feedback row) {
        Mono<Long> update = bind(database.sql("""
                        UPDATE feedback SET rating = :rating, comment = :comment, updated_at = :at
                        WHERE user_id = :user AND message_id = :message""")
                .bind("rating", row.rating()), "comment", row.comment(), String.class)
                .bind("at", row.at()).bind("user", row.userId()).bind("message", row.messageId())
                .fetch().rowsUpdated();
        Mono<Long> insert = bind(database.sql("""
                        INSERT INTO feedback (user_id, message_id, rating, comment, created_at, updated_at)
                        VALUES (:user, :message, :rating, :comment, :at, :at) ON CONFLICT DO NOTHING""")
                .bind("user", row.userId()).bind("message", row.messageId()).bind("rating", row.rating()),
                "comment", row.comment(), String.class)
                .bind("at", row.at())
                .fetch().rowsUpdated();
        return update.flatMap(updated -> updated > 0 ? Mono.<Void>empty()
                : insert.flatMap(inserted -> inserted > 0 ? Mono.<Void>empty() : update.then()));
    }

    private static DatabaseClient.GenericExecuteSpec bind(DatabaseClient.GenericExecuteSpec spec, String name, Object value,
            Class<?> type) {
        return value == null ? spec.bindNull(name, type) : spec.bind(name, value);
    }

    /**
     * The named values of one multi-row statement, bound in one call: each {@code bind} of Spring's
     * {@code GenericExecuteSpec} copies every value bound before it, which for a batch of 200 rows of 16 columns is
     * millions of map entries copied, the largest CPU cost per chat once the batches grow under load.
     */
    private static final class Values {

        private final Map<String, Object> byName;

        Values(int expected) {
            this.byName = new HashMap<>(expected * 4 / 3 + 1);
        }

        Values put(String name, Object value) {
            byName.put(name, value);
            return this;
        }

        /** {@code value}, or a null of {@code type}, which the driver needs to know. */
        Values orNull(String name, Object value, Class<?> type) {
            byName.put(name, value == null ? Parameters.in(type) : value);
            return this;
        }
    }
}
