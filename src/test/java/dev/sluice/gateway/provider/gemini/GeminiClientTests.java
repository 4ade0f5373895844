package dev.sluice.gateway.provider.gemini;

import java.time.Duration;
import java.util.List;

import dev.sluice.gateway.llm.ChatChunk.Finish;
import dev.sluice.gateway.llm.ChatChunk.TextDelta;
import dev.sluice.gateway.llm.ChatChunk.Usage;
import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.provider.UpstreamCall;
import dev.sluice.gateway.provider.UpstreamException.RateLimited;
import dev.sluice.gateway.provider.UpstreamException.Rejected;
import dev.sluice.gateway.provider.http.EventStreams;
import dev.sluice.gateway.provider.http.FakeEventServer.Received;
import dev.sluice.gateway.provider.http.FakeEventServer.Reply;
import dev.sluice.gateway.provider.http.SocketContract;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/** The Gemini client against a fake Gemini API on a real socket. */
class GeminiClientTests extends SocketContract {

    GeminiClientTests() {
        super(baseUrl -> GeminiProtocol.of(baseUrl, JSON), "gemini-2.5-flash",
                new Recording("/provider/gemini/text-stream.sse",
                        List.of(new TextDelta("The capital"), new TextDelta(" of France is Paris. Très "),
                                new TextDelta("belle 🗼"), new Finish(FinishReason.STOP), new Usage(9, 35)),
                        1), // each event is a whole response
                GeminiClientTests::errorBody);
    }

    @Test
    void theCallStreamsTheModelsContentWithTheKeyInAHeader() {
        fake.enqueue(Reply.events(EventStreams.fixture("/provider/gemini/text-stream.sse")));

        client.stream(call()).then().block(TIMEOUT);

        Received request = fake.received().get(0);
        assertThat(request.uri()).isEqualTo("/v1/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
        assertThat(request.headers()).containsEntry("x-goog-api-key", KEY)
                .as("never in the URL, where proxies log it").doesNotContainKey("authorization");
        assertThat(request.uri()).doesNotContain(KEY);
        assertThat(JSON.readTree(request.body()).at("/contents/0/parts/0/text").stringValue()).isEqualTo("Say hello");
    }

    @Test
    void aModelNamedTheWayGeminiListsItWorksToo() {
        fake.enqueue(Reply.events(EventStreams.fixture("/provider/gemini/text-stream.sse")));

        client.stream(call("models/gemini-2.5-flash")).then().block(TIMEOUT);

        assertThat(fake.received().get(0).uri()).isEqualTo("/v1/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
    }

    @Test
    void aModelNameThatWouldChangeThePathIsRefusedWithoutACall() {
        client.stream(call("../files"))
                .as(StepVerifier::create)
                .expectError(Rejected.class)
                .verify(TIMEOUT);

        assertThat(fake.requests()).isZero();
    }

    @Test
    void anExhaustedQuotaTakesItsWaitFromTheRetryInfoInTheBody() {
        fake.enqueue(Reply.status(429, """
                {"error": {"code": 429, "message": "You exceeded your current quota.", "status": "RESOURCE_EXHAUSTED",
                  "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "17s"}]}}"""));

        client.stream(call())
                .as(StepVerifier::create)
                .expectErrorSatisfies(error -> {
                    assertThat(error).isInstanceOf(RateLimited.class);
                    assertThat(((RateLimited) error).retryAfter()).isEqualTo(Duration.ofSeconds(17));
                })
                .verify(TIMEOUT);
    }

    private static UpstreamCall call(String model) {
        return new UpstreamCall(model, ChatRequest.of("alias", List.of(ChatMessage.of(Role.USER, "Say hello"))), KEY);
    }

    /** Google's error body: {@code {"error":{"code":..,"message":..,"status":..}}}. */
    private static String errorBody(int status, String message) {
        String code = status == 401 ? "UNAUTHENTICATED" : status == 429 ? "RESOURCE_EXHAUSTED" : "UNAVAILABLE";
        return "{\"error\": {\"code\": " + status + ", \"message\": \"" + message + "\", \"status\": \"" + code + "\"}}";
    }
}
