package dev.sluice.gateway.web;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which API's error shape a path gets, and Anthropic's shape itself. */
class ApiErrorHandlerTests {

    @Test
    void theMessagesApiAndWhatIsUnderItAreAnthropicsTheRestOfV1IsOpenAis() {
        assertThat(ApiErrorHandler.isAnthropicPath("/v1/messages")).isTrue();
        assertThat(ApiErrorHandler.isAnthropicPath("/v1/messages/count_tokens")).isTrue();
        assertThat(ApiErrorHandler.isAnthropicPath("/v1/messagesx")).as("another path that only starts the same").isFalse();
        assertThat(ApiErrorHandler.isAnthropicPath("/v1/chat/completions")).isFalse();
        assertThat(ApiErrorHandler.isOpenAiPath("/v1/chat/completions")).isTrue();
    }

    @Test
    void anAnthropicErrorHasItsTypeAndMessageAndTheRequestIdWhenThereIsOne() {
        GatewayException error = new GatewayException(ErrorCode.OVERLOADED, "Every provider is busy");

        assertThat(ApiErrorHandler.anthropicBody(error, "req-1")).hasToString(
                "{type=error, error={type=overloaded_error, message=Every provider is busy}, request_id=req-1}");
        assertThat(ApiErrorHandler.anthropicBody(error, null)).as("an event in a stream, whose headers carry the id")
                .doesNotContainKey("request_id");
    }
}
