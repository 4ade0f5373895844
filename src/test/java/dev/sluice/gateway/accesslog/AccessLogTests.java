package dev.sluice.gateway.accesslog;

import java.util.List;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.routing.RouteTrace;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.SignalType;
import reactor.test.StepVerifier;
import reactor.util.context.Context;

import static org.assertj.core.api.Assertions.assertThat;

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
        Flux<ChatChunk> reply = Flux.just(new ChatChunk.TextDelta("Hi"), new ChatChunk.Finish(FinishReason.STOP),
                new ChatChunk.Usage(7, 3));
        AccessLog.observe(request, "fast", new RouteTrace(), reply).contextWrite(Context.of(RequestLogContext.KEY, record))
                .as(StepVerifier::create).expectNextCount(3).verifyComplete();
        MockServerHttpResponse response = new MockServerHttpResponse();
        response.setStatusCode(HttpStatus.OK);

        AccessLog.write(record, response, SignalType.CANCEL);

        assertThat(output).contains("POST /v1/chat/completions 200", "cancelled", "model fast", "first token", "tokens 7 in 3 out");
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
    void aReplyOutsideAnHttpRequestPassesUntouched() {
        ChatRequest request = ChatRequest.of("fast", List.of(ChatMessage.of(Role.USER, "hello")));
        AccessLog.observe(request, "fast", new RouteTrace(), Flux.just(new ChatChunk.TextDelta("Hi")))
                .as(StepVerifier::create).expectNextCount(1).verifyComplete();
    }
}
