package dev.sluice.gateway.chat.openai.compat;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.metadata.Usage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.openai.OpenAiChatModel;
import org.springframework.ai.openai.OpenAiChatOptions;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spring AI's OpenAI chat model (on the official openai-java SDK), unchanged, against the embedded default
 * gateway. The client is built by hand from the plain {@code spring-ai-openai} module, so no Spring AI
 * auto-configuration touches the gateway's own context.
 */
// The anonymous user's daily quota lives in the embedded database file under ./data, which outlives the run.
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"sluice.providers.demo.token-interval=1ms", "sluice.quotas.daily-requests=100000000"})
class SpringAiOpenAiClientIT {

    @LocalServerPort
    int port;

    private OpenAiChatModel chat;

    @BeforeEach
    void connect() {
        chat = OpenAiChatModel.builder()
                .options(OpenAiChatOptions.builder()
                        // openai-java's base URL carries the version, like its default https://api.openai.com/v1.
                        .baseUrl("http://127.0.0.1:" + port + "/v1")
                        // Anonymous access is on, so any key passes.
                        .apiKey("sk-anything")
                        .model("demo")
                        .streamUsage(true)
                        // A failure should show at once, not after retries.
                        .maxRetries(0)
                        .timeout(Duration.ofSeconds(20))
                        .build())
                .build();
    }

    @Test
    void aCallReturnsTheWholeReplyWithItsUsage() {
        ChatResponse response = chat.call(new Prompt("Hi"));

        assertThat(response.getResult()).as("one generation").isNotNull();
        assertThat(response.getResult().getOutput().getText()).as("the assistant's text").isNotBlank();
        assertThat(response.getResult().getMetadata().getFinishReason()).as("the finish reason")
                .isNotBlank();
        assertThat(response.getMetadata().getUsage().getCompletionTokens()).as("usage counts the reply's tokens")
                .isPositive();
    }

    @Test
    void aStreamArrivesInSeveralChunksThatJoinIntoTheReply() {
        List<ChatResponse> chunks = chat.stream(new Prompt("Hi")).collectList().block(Duration.ofSeconds(30));

        assertThat(chunks).as("the stream completed").isNotNull();
        List<String> texts = chunks.stream()
                .flatMap(chunk -> chunk.getResults().stream())
                .map(Generation::getOutput)
                .map(message -> message.getText())
                .filter(text -> text != null && !text.isEmpty())
                .toList();
        assertThat(texts).as("several content deltas, not one blob").hasSizeGreaterThan(1);
        assertThat(texts.stream().collect(Collectors.joining())).as("the joined reply").isNotBlank();
        assertThat(chunks.stream().map(chunk -> chunk.getMetadata().getUsage()).filter(Objects::nonNull)
                .map(Usage::getCompletionTokens).filter(Objects::nonNull))
                .as("with stream usage on, a chunk counts the reply's tokens")
                .anyMatch(tokens -> tokens > 0);
    }
}
