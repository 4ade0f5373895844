package dev.sluice.gateway.feedback;

import java.util.UUID;

import dev.sluice.gateway.web.GatewayException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FeedbackRequestTests {

    private static final UUID USER = UUID.randomUUID();
    private static final String MESSAGE = UUID.randomUUID().toString();

    @Test
    void thumbsAndStarsAreRatings() {
        assertThat(new FeedbackRequest(MESSAGE, -1, null).toWrite(USER).rating()).isEqualTo(-1);
        assertThat(new FeedbackRequest(MESSAGE, 5, "  great  ").toWrite(USER).comment()).isEqualTo("great");
    }

    @Test
    void eachRefusalNamesItsField() {
        assertThatThrownBy(() -> new FeedbackRequest(MESSAGE, 0, null).toWrite(USER))
                .isInstanceOf(GatewayException.class).hasMessageStartingWith("rating");
        assertThatThrownBy(() -> new FeedbackRequest(MESSAGE, null, null).toWrite(USER)).hasMessageStartingWith("rating");
        assertThatThrownBy(() -> new FeedbackRequest(null, 1, null).toWrite(USER)).hasMessageStartingWith("message_id");
        assertThatThrownBy(() -> new FeedbackRequest("nope", 1, null).toWrite(USER)).hasMessageStartingWith("message_id");
        assertThatThrownBy(() -> new FeedbackRequest(MESSAGE, 1, "x".repeat(2001)).toWrite(USER)).hasMessageStartingWith("comment");
    }
}
