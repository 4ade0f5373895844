package dev.sluice.gateway.conversation;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.web.GatewayException;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConversationsTests {

    private static HistoryProperties properties(int messages, int tokens) {
        return new HistoryProperties(messages, tokens, 100, DataSize.ofMegabytes(1), 1, 10, Duration.ZERO, Duration.ofMillis(1), Duration.ofMillis(5),
                Duration.ofSeconds(1), Duration.ofSeconds(1));
    }

    @Test
    void theTitleIsTheFirstUserMessageOnOneLineAndBounded() {
        assertThat(Conversations.title(List.of(ChatMessage.of(Role.SYSTEM, "Be brief"), ChatMessage.of(Role.USER, "  What is\n\n  2+2?  "))))
                .isEqualTo("What is 2+2?");
        String title = Conversations.title(List.of(ChatMessage.of(Role.USER, "x".repeat(500))));
        assertThat(title).as("bounded, and visibly cut").hasSize(Conversations.MAX_TITLE).endsWith("…");
        assertThat(Conversations.title(List.of(ChatMessage.of(Role.USER, "  ")))).isEqualTo("New conversation");
    }

    @Test
    void theContextWindowKeepsTheNewestMessagesWithinBothBudgets() {
        List<ChatMessage> history = List.of(ChatMessage.of(Role.USER, "a".repeat(40)), ChatMessage.of(Role.ASSISTANT, "b".repeat(40)),
                ChatMessage.of(Role.USER, "c".repeat(40)), ChatMessage.of(Role.ASSISTANT, "d".repeat(40)));

        assertThat(new Conversations(null, null, properties(2, 1000)).window(history))
                .as("at most two messages, the newest").extracting(ChatMessage::content).containsExactly("c".repeat(40), "d".repeat(40));
        assertThat(new Conversations(null, null, properties(20, 25)).window(history))
                .as("10 tokens each: two fit in 25").hasSize(2);
        assertThat(new Conversations(null, null, properties(20, 5)).window(history)).as("none fits").isEmpty();
    }

    @Test
    void aCursorSurvivesTheRoundTripAndAForeignOneIsABadRequest() {
        Cursor cursor = new Cursor(OffsetDateTime.of(2026, 1, 2, 3, 4, 5, 123_456_000, ZoneOffset.UTC), UUID.randomUUID());

        assertThat(Cursor.decode(cursor.encode())).isEqualTo(cursor);
        assertThat(Cursor.decode(null)).isNull();
        assertThatThrownBy(() -> Cursor.decode("not-a-cursor")).isInstanceOf(GatewayException.class).hasMessageStartingWith("before");
    }
}
