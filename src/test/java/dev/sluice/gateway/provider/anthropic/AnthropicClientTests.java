package dev.sluice.gateway.provider.anthropic;

import java.util.List;

import dev.sluice.gateway.llm.ChatChunk.Finish;
import dev.sluice.gateway.llm.ChatChunk.TextDelta;
import dev.sluice.gateway.llm.ChatChunk.Usage;
import dev.sluice.gateway.llm.ChatReply;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.provider.UpstreamException.Unavailable;
import dev.sluice.gateway.provider.http.EventStreams;
import dev.sluice.gateway.provider.http.FakeEventServer.Received;
import dev.sluice.gateway.provider.http.FakeEventServer.Reply;
import dev.sluice.gateway.provider.http.SocketContract;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/** The Anthropic client against a fake Messages API on a real socket. */
class AnthropicClientTests extends SocketContract {

    AnthropicClientTests() {
        super(baseUrl -> AnthropicProtocol.of(baseUrl, JSON), "claude-sonnet-4-5",
                new Recording("/provider/anthropic/text-stream.sse",
                        List.of(new TextDelta("Hello"), new TextDelta("! Grüß dich 👋"), new Finish(FinishReason.STOP),
                                new Usage(25, 12)),
                        4), // message_start, content_block_start and ping come before the first token
                AnthropicClientTests::errorBody);
    }

    @Test
    void theCallGoesToMessagesWithTheKeyAndApiVersionInHeaders() {
        fake.enqueue(Reply.events(EventStreams.fixture("/provider/anthropic/text-stream.sse")));

        client.stream(call()).then().block(TIMEOUT);

        Received request = fake.received().get(0);
        assertThat(request.uri()).isEqualTo("/v1/messages");
        assertThat(request.headers()).containsEntry("x-api-key", KEY).containsEntry("anthropic-version", "2023-06-01")
                .as("Anthropic takes no bearer token").doesNotContainKey("authorization");
        JsonNode body = JSON.readTree(request.body());
        assertThat(body.path("model").stringValue()).isEqualTo("claude-sonnet-4-5");
        assertThat(body.path("stream").booleanValue()).isTrue();
    }

    @Test
    void aStreamedToolUseAssemblesIntoCalls() {
        fake.enqueue(Reply.events(EventStreams.fixture("/provider/anthropic/tool-use-stream.sse")));

        ChatReply reply = ChatReply.collect(client.stream(call())).block(TIMEOUT);

        assertThat(reply.toolCalls()).extracting(ToolCall::name).containsExactly("get_weather", "get_time");
        assertThat(reply.toolCalls().get(0).arguments()).isEqualTo("{\"city\": \"Paris\", \"unit\": \"celsius\"}");
        assertThat(reply.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
    }

    @Test
    void overloadedIsUnavailableSoTheNextTargetCanServe() {
        fake.enqueue(Reply.status(529, errorBody(529, "Overloaded")));

        client.stream(call())
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(Unavailable.class).hasMessage("HTTP 529: Overloaded"))
                .verify(TIMEOUT);
    }

    @Test
    void anErrorEventMidStreamBreaksTheStream() {
        fake.enqueue(Reply.events(EventStreams.fixture("/provider/anthropic/error-stream.sse")));

        client.stream(call())
                .as(StepVerifier::create)
                .expectNext(new TextDelta("The answer"))
                .expectErrorMessage("upstream error: Overloaded")
                .verify(TIMEOUT);
    }

    /** Anthropic's error body: {@code {"type":"error","error":{"type":..,"message":..}}}. */
    private static String errorBody(int status, String message) {
        String type = status == 401 ? "authentication_error" : status == 429 ? "rate_limit_error" : "api_error";
        return "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\"" + message + "\"},"
                + "\"request_id\":\"req_011CSHoEeqs5C35K2UUqR7Fy\"}";
    }
}
