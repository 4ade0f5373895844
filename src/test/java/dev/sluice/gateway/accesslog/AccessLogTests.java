package dev.sluice.gateway.accesslog;

import java.util.List;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.Role;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpResponse;
import reactor.core.publisher.SignalType;
import reactor.util.context.Context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/** The access line: what it says about a chat, what it leaves out. */
@ExtendWith(OutputCaptureExtension.class)
class AccessLogTests {

    private final Logger access = (Logger) LoggerFactory.getLogger("sluice.access");
    private final Logger prompts = (Logger) LoggerFactory.getLogger("sluice.prompts");
    private Level accessLevel;
    private Level promptsLevel;

    @BeforeEach
    void infoOnly() {
        accessLevel = access.getLevel();
        promptsLevel = prompts.getLevel();
        access.setLevel(Level.INFO);
        prompts.setLevel(Level.INFO);
    }

    @AfterEach
    void restoreLevels() {
        access.setLevel(accessLevel);
        prompts.setLevel(promptsLevel);
    }

    @Test
    void aChatLineSaysTheModelTheFirstTokenTheTokensAndThatTheClientWentAway(CapturedOutput output) {
        AccessRecord record = new AccessRecord("POST", "/v1/chat/completions", System.nanoTime());
        record.requestId("req-1");
        ChatRequest request = ChatRequest.of("fast", List.of(ChatMessage.of(Role.USER, "a secret prompt")));
        AccessLog.chat(Context.of(RequestLogContext.KEY, record), request,
                new Chat("fast", "fake/fast-model", System.nanoTime(), new ChatChunk.Usage(7, 3)));
        MockServerHttpResponse response = new MockServerHttpResponse();
        response.setStatusCode(HttpStatus.OK);

        AccessLog.write(record, response, SignalType.CANCEL);

        assertThat(output).contains("POST /v1/chat/completions 200", "cancelled", "model fast via fake/fast-model",
                "first token", "tokens 7 in 3 out");
        assertThat(output).as("prompts only at DEBUG").doesNotContain("a secret prompt");
    }

    @Test
    void probesAreNotLoggedAtInfo(CapturedOutput output) {
        AccessLog.write(new AccessRecord("GET", "/ready", System.nanoTime()), new MockServerHttpResponse(), SignalType.ON_COMPLETE);
        AccessLog.write(new AccessRecord("GET", "/actuator/prometheus", System.nanoTime()), new MockServerHttpResponse(), SignalType.ON_COMPLETE);
        AccessLog.write(new AccessRecord("GET", "/api/v1/models", System.nanoTime()), new MockServerHttpResponse(), SignalType.ON_COMPLETE);

        assertThat(output).contains("GET /api/v1/models 200").doesNotContain("/ready", "/actuator/prometheus");
    }

    @Test
    void aChatBeforeItsFirstTokenSaysWhoWasCalledAndNoTokens(CapturedOutput output) {
        AccessRecord record = new AccessRecord("POST", "/v1/chat/completions", System.nanoTime());
        AccessLog.chat(Context.of(RequestLogContext.KEY, record), ChatRequest.of("fast",
                List.of(ChatMessage.of(Role.USER, "hello"))), new Chat("fast", "fake/fast-model", 0, null));
        MockServerHttpResponse response = new MockServerHttpResponse();
        response.setStatusCode(HttpStatus.GATEWAY_TIMEOUT);

        AccessLog.write(record, response, SignalType.ON_COMPLETE);

        assertThat(output).contains("POST /v1/chat/completions 504", "model fast via fake/fast-model")
                .doesNotContain("first token", "tokens");
    }

    @Test
    void aChatOutsideAnHttpRequestIsNotRecorded() {
        ChatRequest request = ChatRequest.of("fast", List.of(ChatMessage.of(Role.USER, "hello")));
        assertThatCode(() -> AccessLog.chat(Context.empty(), request, new Chat("fast", null, 0, null)))
                .as("a chat the gateway makes for itself (a probe) has no access line").doesNotThrowAnyException();
    }

    /** A chat's tally as the access line reads it. */
    record Chat(String model, String servedBy, long firstTokenAt, ChatChunk.Usage usage) implements AccessRecord.Chat {

        @Override
        public String metricModel() {
            return model;
        }
    }
}
