package dev.sluice.gateway.provider.demo;

import java.time.Duration;
import java.util.List;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatReply;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.provider.UpstreamCall;
import dev.sluice.gateway.testing.GlobalVirtualTime;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

@GlobalVirtualTime
class DemoProviderClientTests {

    private final DemoProviderClient demo = new DemoProviderClient(Duration.ofMillis(40));

    @Test
    void itStreamsOneWordPerIntervalThenFinishesWithUsage() {
        UpstreamCall call = call("What is 2+2?", null);
        int words = DemoProviderClient.tokenize(DemoProviderClient.reply(call.request().messages())).size();

        StepVerifier.withVirtualTime(() -> demo.stream(call))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(39))
                .thenAwait(Duration.ofMillis(1))
                .expectNext(new ChatChunk.TextDelta("Hello!"))
                .thenAwait(Duration.ofMillis(40L * words))
                .expectNextCount(words - 1)
                .expectNext(new ChatChunk.Finish(FinishReason.STOP))
                .expectNextMatches(chunk -> chunk instanceof ChatChunk.Usage usage && usage.completionTokens() == words)
                .verifyComplete();
    }

    @Test
    void itQuotesTheQuestionAndSaysItIsASimulator() {
        ChatReply reply = ChatReply.collect(new DemoProviderClient(Duration.ofNanos(1)).stream(call("What is 2+2?", null)))
                .block(Duration.ofSeconds(5));

        assertThat(reply.text()).contains("\"What is 2+2?\"").contains("simulator");
    }

    @Test
    void maxTokensCutsTheReplyWithFinishReasonLength() {
        ChatReply reply = ChatReply.collect(new DemoProviderClient(Duration.ofNanos(1)).stream(call("Hi", 3)))
                .block(Duration.ofSeconds(5));

        assertThat(reply.text()).isEqualTo("Hello! This is");
        assertThat(reply.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(reply.usage().completionTokens()).isEqualTo(3);
    }

    private static UpstreamCall call(String question, Integer maxTokens) {
        ChatRequest request = ChatRequest.of("demo", List.of(ChatMessage.of(Role.USER, question)));
        if (maxTokens != null) {
            request = new ChatRequest("demo", request.messages(), null, null, maxTokens, null, null, null, null,
                    null, null, null, null, null);
        }
        return new UpstreamCall("sluice-demo", request, null);
    }
}
