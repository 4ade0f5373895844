package dev.sluice.gateway.conversation;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import dev.sluice.gateway.web.Page;
import io.r2dbc.spi.ConnectionFactories;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The read side of the history on H2 in PostgreSQL mode, the embedded default's database (PostgreSQL runs the same
 * SQL in {@code ConversationHistoryIT}): pages newest first, their cursors, and timestamps read back to the
 * microsecond they were stored with, whatever form the query reads them in.
 */
class HistoryReadOnH2Tests {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** Microseconds that a millisecond or a double's worth of precision would lose. */
    private static final OffsetDateTime AT = OffsetDateTime.of(2030, 6, 1, 12, 0, 0, 123_457_000, ZoneOffset.UTC);

    private final DatabaseClient database = h2();
    private final Conversations conversations = new Conversations(database, null,
            new HistoryProperties(20, 8000, 100, DataSize.ofMegabytes(1), 1, 10, Duration.ZERO, Duration.ofMillis(1), Duration.ofMillis(5),
                    Duration.ofSeconds(1), Duration.ofSeconds(1)));

    @Test
    void messagesComeNewestFirstAPageAtATimeWithTheirExactTimes() {
        UUID user = newUser();
        UUID conversation = UUID.randomUUID();
        List<HistoryWrite.Message> stored = List.of(message(conversation, user, "user", "one", AT),
                message(conversation, user, "assistant", "two", AT.plusNanos(1_000)),
                message(conversation, user, "user", "three", AT.plusNanos(2_000)));
        write(new HistoryWrite.NewConversation(conversation, user, "one", AT), stored.get(0), stored.get(1), stored.get(2));

        Page<Conversations.MessageView> first = conversations.messages(user, conversation, 2, null).block(TIMEOUT);

        assertThat(first.items()).extracting(Conversations.MessageView::content).containsExactly("three", "two");
        assertThat(first.items()).extracting(Conversations.MessageView::createdAt)
                .containsExactly(AT.plusNanos(2_000), AT.plusNanos(1_000));
        Page<Conversations.MessageView> second = conversations.messages(user, conversation, 2, Cursor.decode(first.nextCursor()))
                .block(TIMEOUT);
        assertThat(second.items()).extracting(Conversations.MessageView::content).containsExactly("one");
        assertThat(second.items().get(0).createdAt()).isEqualTo(AT);
        assertThat(second.nextCursor()).isNull();
    }

    @Test
    void conversationsComeMostRecentlyActiveFirstWithTheirExactTimes() {
        UUID user = newUser();
        UUID older = UUID.randomUUID();
        UUID newer = UUID.randomUUID();
        write(new HistoryWrite.NewConversation(older, user, "older", AT),
                new HistoryWrite.NewConversation(newer, user, "newer", AT.plusNanos(1_000)),
                message(older, user, "user", "back to the older one", AT.plusNanos(5_000)));

        Page<Conversations.ConversationView> page = conversations.list(user, 1, null).block(TIMEOUT);

        assertThat(page.items()).singleElement().satisfies(view -> {
            assertThat(view.title()).as("its last message made it the most recent").isEqualTo("older");
            assertThat(view.createdAt()).isEqualTo(AT);
            assertThat(view.updatedAt()).isEqualTo(AT.plusNanos(5_000));
        });
        assertThat(conversations.list(user, 1, Cursor.decode(page.nextCursor())).block(TIMEOUT).items())
                .extracting(Conversations.ConversationView::title).containsExactly("newer");
    }

    private void write(HistoryWrite... writes) {
        new HistoryStore(database).write(List.of(writes)).block(TIMEOUT);
    }

    private static HistoryWrite.Message message(UUID conversation, UUID user, String role, String content, OffsetDateTime at) {
        return new HistoryWrite.Message(UUID.randomUUID(), conversation, user, role, content, "fake", null, null, null,
                null, null, null, "ok", null, null, null, at);
    }

    private UUID newUser() {
        UUID id = UUID.randomUUID();
        database.sql("INSERT INTO users (id, email, password_hash, role, created_at) VALUES (:id, :email, '!', 'USER', :now)")
                .bind("id", id).bind("email", "history-" + id + "@example.com").bind("now", AT)
                .then().block(TIMEOUT);
        return id;
    }

    /** A new in-memory H2 with Sluice's migrations, as the embedded default runs on (there from a file). */
    private static DatabaseClient h2() {
        String name = "history-" + UUID.randomUUID();
        String options = ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1";
        Flyway.configure().dataSource("jdbc:h2:mem:" + name + options, "", "").load().migrate();
        return DatabaseClient.create(ConnectionFactories.get("r2dbc:pool:h2:mem:///" + name + options + "?maxSize=4"));
    }
}
