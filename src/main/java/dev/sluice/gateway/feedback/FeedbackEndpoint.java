package dev.sluice.gateway.feedback;

import java.util.UUID;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.conversation.Conversations;
import dev.sluice.gateway.conversation.HistoryWrite;
import dev.sluice.gateway.conversation.HistoryWriter;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import dev.sluice.gateway.web.JsonBody;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * {@code POST /api/v1/feedback {message_id, rating, comment?}} → 202: one rating per user and message, a repeat
 * replaces it. Only for a message the caller can see (else 404). It is stored through the history's
 * write-behind buffer, behind the message it rates, hence "accepted" rather than "created".
 */
@Configuration(proxyBeanMethods = false)
class FeedbackEndpoint {

    private final Conversations conversations;
    private final HistoryWriter writer;
    private final JsonBody body;

    FeedbackEndpoint(Conversations conversations, HistoryWriter writer, JsonBody body) {
        this.conversations = conversations;
        this.writer = writer;
        this.body = body;
    }

    @Bean
    RouterFunction<ServerResponse> feedbackRoutes() {
        return RouterFunctions.route().POST("/api/v1/feedback", this::submit).build();
    }

    private Mono<ServerResponse> submit(ServerRequest request) {
        return body.read(request, FeedbackRequest.class)
                .zipWith(Caller.current())
                .flatMap(both -> {
                    FeedbackRequest body = both.getT1();
                    Caller caller = both.getT2();
                    HistoryWrite.Feedback feedback = body.toWrite(caller.id());
                    return conversations.canSee(caller.id(), feedback.messageId())
                            .flatMap(visible -> {
                                if (!visible) {
                                    return Mono.error(new GatewayException(ErrorCode.NOT_FOUND,
                                            "message_id: no message with id " + feedback.messageId(), "message_id", null));
                                }
                                if (!writer.offer(feedback)) {
                                    return Mono.error(new GatewayException(ErrorCode.OVERLOADED,
                                            "Feedback cannot be taken right now; try again", null, java.time.Duration.ofSeconds(5)));
                                }
                                return ServerResponse.status(HttpStatus.ACCEPTED).build();
                            });
                });
    }

    /** Checked so that every refusal names its field. */
    static UUID messageId(String text) {
        if (text == null || text.isBlank()) {
            throw GatewayException.invalid("message_id", "is required");
        }
        try {
            return UUID.fromString(text);
        }
        catch (IllegalArgumentException notAnId) {
            throw GatewayException.invalid("message_id", "is not a message id");
        }
    }
}
