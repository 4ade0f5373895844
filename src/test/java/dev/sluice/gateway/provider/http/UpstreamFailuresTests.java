package dev.sluice.gateway.provider.http;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import dev.sluice.gateway.provider.ProviderProperties;
import dev.sluice.gateway.provider.UpstreamException;
import dev.sluice.gateway.provider.UpstreamException.AuthRejected;
import dev.sluice.gateway.provider.UpstreamException.RateLimited;
import dev.sluice.gateway.provider.UpstreamException.Rejected;
import dev.sluice.gateway.provider.UpstreamException.StreamBroken;
import dev.sluice.gateway.provider.UpstreamException.TimedOut;
import dev.sluice.gateway.provider.UpstreamException.Unavailable;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.timeout.ReadTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.netty.http.client.PrematureCloseException;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

class UpstreamFailuresTests {

    private static final Instant NOW = Instant.parse("2025-07-10T12:00:00Z");
    private static final ProviderProperties.Timeouts TIMEOUTS = new ProviderProperties.Timeouts(
            Duration.ofSeconds(2), Duration.ofSeconds(15), Duration.ofSeconds(30), Duration.ofSeconds(300));

    private static final String GOOGLE_QUOTA_EXCEEDED = """
            {"error": {"code": 429, "message": "You exceeded your current quota, please check your plan and billing details.",
              "status": "RESOURCE_EXHAUSTED", "details": [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaMetric":
                  "generativelanguage.googleapis.com/generate_content_free_tier_requests", "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},
                {"@type": "type.googleapis.com/google.rpc.Help", "links": [{"description": "Learn more", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "36.5s"}]}}""";

    private final UpstreamFailures failures = new UpstreamFailures(JsonMapper.builder().build(), TIMEOUTS,
            Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void aRateLimitCarriesItsRetryAfterInSeconds() {
        UpstreamException failure = failures.fromStatus(429, headers("Retry-After", "3"),
                "{\"error\":{\"message\":\"Rate limit reached for requests\",\"type\":\"requests\"}}", null);

        assertThat(failure).isInstanceOf(RateLimited.class).hasMessage("HTTP 429: Rate limit reached for requests");
        assertThat(((RateLimited) failure).retryAfter()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void retryAfterMsIsPreferredForItsPrecision() {
        HttpHeaders headers = headers("Retry-After", "2");
        headers.add("retry-after-ms", "1500");

        assertThat(failures.retryAfter(headers)).as("OpenAI sends both; the millisecond one is exact")
                .isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void retryAfterAsAnHttpDateCountsFromNow() {
        assertThat(failures.retryAfter(headers("Retry-After", "Thu, 10 Jul 2025 12:00:30 GMT")))
                .isEqualTo(Duration.ofSeconds(30));
        assertThat(failures.retryAfter(headers("Retry-After", "Thu, 10 Jul 2025 11:00:00 GMT")))
                .as("a date in the past means: now").isEqualTo(Duration.ZERO);
    }

    @Test
    void fractionalSecondsAreKept() {
        assertThat(failures.retryAfter(headers("Retry-After", "0.75"))).isEqualTo(Duration.ofMillis(750));
    }

    @ParameterizedTest
    @ValueSource(strings = {"soon", "-1", "NaN", ""})
    void anUnreadableRetryAfterIsUnknown(String value) {
        assertThat(failures.retryAfter(headers("Retry-After", value))).as("'%s'", value).isNull();
    }

    @Test
    void aRateLimitWithoutRetryAfterHasNoDuration() {
        UpstreamException failure = failures.fromStatus(429, EmptyHttpHeaders.INSTANCE, "", null);

        assertThat(((RateLimited) failure).retryAfter()).as("routing picks its own cooldown").isNull();
        assertThat(failure).hasMessage("HTTP 429");
    }

    @Test
    void a401IsARefusedKey() {
        UpstreamException failure = failures.fromStatus(401, EmptyHttpHeaders.INSTANCE, "{\"error\":{\"message\":\"nope\"}}", null);

        assertThat(failure).isInstanceOf(AuthRejected.class);
        assertThat(((AuthRejected) failure).status()).isEqualTo(401);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}",
            "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}"})
    void aVendorsExplicitInvalidKeyErrorIsARefusedKeyWhateverItsStatus(String body) {
        assertThat(failures.fromStatus(400, EmptyHttpHeaders.INSTANCE, body, null)).as("OpenAI's code, Anthropic's type")
                .isInstanceOf(AuthRejected.class);
    }

    @Test
    void a403IsTheRequestsRefusalNotTheKeys() {
        UpstreamException failure = failures.fromStatus(403, EmptyHttpHeaders.INSTANCE,
                "{\"error\":{\"message\":\"Input flagged by moderation\",\"code\":403,\"metadata\":{\"reasons\":[\"harassment\"]}}}",
                null);

        assertThat(failure).as("OpenRouter's 403 for flagged input must not disable a key").isInstanceOf(Rejected.class);
        assertThat(((Rejected) failure).status()).isEqualTo(403);
    }

    @Test
    void a402IsTheAccountsAndLeavesTheCallerOutOfIt() {
        assertThat(failures.fromStatus(402, EmptyHttpHeaders.INSTANCE, "{\"error\":{\"message\":\"Insufficient credits\"}}", null))
                .as("out of credit: another target may serve, and the request is not the caller's fault")
                .isInstanceOf(Unavailable.class);
    }

    @Test
    void a429IsForTheModelCalledUnlessItSaysTheAccountIsOutOfQuota() {
        UpstreamException perModel = failures.fromStatus(429, EmptyHttpHeaders.INSTANCE,
                "{\"error\":{\"message\":\"Rate limit reached for gpt-4o\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}", null);
        UpstreamException perKey = failures.fromStatus(429, EmptyHttpHeaders.INSTANCE,
                "{\"error\":{\"message\":\"You exceeded your current quota\",\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}}", null);

        assertThat(((RateLimited) perModel).everyModel()).as("OpenAI's limits are per model").isFalse();
        assertThat(((RateLimited) perKey).everyModel()).as("an account out of quota serves no model").isTrue();
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 404, 413, 422})
    void otherClientErrorsAreRejectedWithTheUpstreamsReason(int status) {
        UpstreamException failure = failures.fromStatus(status, EmptyHttpHeaders.INSTANCE,
                "{\"error\":{\"message\":\"max_tokens is too large\",\"type\":\"invalid_request_error\"}}", null);

        assertThat(failure).isInstanceOf(Rejected.class).hasMessage("HTTP " + status + ": max_tokens is too large");
        assertThat(((Rejected) failure).status()).isEqualTo(status);
    }

    @ParameterizedTest
    @ValueSource(ints = {500, 502, 503, 529, 302})
    void serverErrorsAndAnythingElseAreUnavailable(int status) {
        assertThat(failures.fromStatus(status, EmptyHttpHeaders.INSTANCE, "", null)).isInstanceOf(Unavailable.class)
                .hasMessage("HTTP " + status);
    }

    @Test
    void anEchoedApiKeyIsScrubbedFromTheMessage() {
        UpstreamException failure = failures.fromStatus(401, EmptyHttpHeaders.INSTANCE,
                "{\"error\":{\"message\":\"Incorrect API key provided: sk-live-123. You can find your API key at ...\"}}",
                "sk-live-123");

        assertThat(failure.getMessage()).as("keys must not reach logs or callers").doesNotContain("sk-live-123")
                .contains("[redacted]");
    }

    @Test
    void theMessageIsFoundInEachVendorsErrorShape() {
        assertThat(failures.errorMessage("{\"error\":{\"message\":\"openai style\"}}")).isEqualTo("openai style");
        assertThat(failures.errorMessage("{\"error\":\"ollama style\"}")).isEqualTo("ollama style");
        assertThat(failures.errorMessage("{\"object\":\"error\",\"message\":\"vllm style\"}")).isEqualTo("vllm style");
        assertThat(failures.errorMessage("{\"detail\":\"fastapi style\"}")).isEqualTo("fastapi style");
        assertThat(failures.errorMessage("upstream connect error\n  or disconnect")).as("plain text, on one line")
                .isEqualTo("upstream connect error or disconnect");
        assertThat(failures.errorMessage("<html><body><h1>502 Bad Gateway</h1></body></html>"))
                .as("an HTML error page says nothing the status does not").isEmpty();
        assertThat(failures.errorMessage("{\"error\":{\"message\":\"cut at 8 Ki")).as("a body cut at the limit")
                .isEqualTo("{\"error\":{\"message\":\"cut at 8 Ki");
        assertThat(failures.errorMessage("x".repeat(2000))).as("long bodies are shortened").hasSize(501);
    }

    @Test
    void aRefusedConnectionIsUnavailable() {
        assertThat(failures.beforeReply(new ConnectException("Connection refused: /127.0.0.1:9")))
                .isInstanceOf(Unavailable.class).hasMessageContaining("Connection refused");
    }

    @Test
    void aWrappedTransportErrorIsTypedByItsCause() {
        assertThat(failures.beforeReply(new IllegalStateException(new ConnectException("Connection refused: /127.0.0.1:9"))))
                .as("what happened is the cause, whoever wrapped it").isInstanceOf(Unavailable.class)
                .hasMessageContaining("cannot connect");
    }

    @Test
    void anUnknownHostIsUnavailable() {
        assertThat(failures.beforeReply(new UnknownHostException("api.nowhere.invalid"))).isInstanceOf(Unavailable.class);
    }

    @Test
    void aConnectTimeoutIsTimedOutConnectingWithTheConfiguredLimit() {
        UpstreamException failure = failures.beforeReply(
                new ConnectTimeoutException("connection timed out after 2000 ms: /10.0.0.1:443"));

        assertThat(failure).isInstanceOf(TimedOut.class).hasMessage("no connection within 2000 ms");
        assertThat(((TimedOut) failure).phase()).isEqualTo(TimedOut.Phase.CONNECT);
    }

    @Test
    void aReadTimeoutIsTimedOutIdleWithTheConfiguredLimit() {
        UpstreamException failure = failures.duringReply(ReadTimeoutException.INSTANCE);

        assertThat(failure).isInstanceOf(TimedOut.class).hasMessage("no data between chunks within 30000 ms");
        assertThat(((TimedOut) failure).phase()).isEqualTo(TimedOut.Phase.IDLE);
    }

    @Test
    void aPrematureCloseBreaksAStreamButOnlyMakesTheUpstreamUnavailableBeforeTheReply() {
        assertThat(failures.duringReply(PrematureCloseException.TEST_EXCEPTION)).isInstanceOf(StreamBroken.class);
        assertThat(failures.beforeReply(PrematureCloseException.TEST_EXCEPTION))
                .as("nothing was streamed yet, so the call can be tried elsewhere").isInstanceOf(Unavailable.class);
    }

    @Test
    void aConnectionResetMidReplyBreaksTheStream() {
        assertThat(failures.duringReply(new IOException("Connection reset by peer"))).isInstanceOf(StreamBroken.class)
                .hasMessage("Connection reset by peer");
    }

    @Test
    void anUpstreamExceptionAlreadyTypedIsKept() {
        StreamBroken broken = new StreamBroken("upstream error: overloaded");

        assertThat(failures.beforeReply(new RuntimeException(broken))).isSameAs(broken);
    }

    @Test
    void anythingElseIsUnavailableBeforeTheReplyAndBrokenDuringIt() {
        assertThat(failures.beforeReply(new IllegalStateException("Pending acquire queue has reached its maximum size of 0")))
                .isInstanceOf(Unavailable.class).hasMessageContaining("Pending acquire queue");
        assertThat(failures.duringReply(new IllegalStateException("odd"))).isInstanceOf(StreamBroken.class);
    }

    @Test
    void anthropicsErrorBodyGivesItsMessage() {
        UpstreamException failure = failures.fromStatus(400, EmptyHttpHeaders.INSTANCE,
                "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"max_tokens: Field required\"},"
                        + "\"request_id\":\"req_011CSHoEeqs5C35K2UUqR7Fy\"}", null);

        assertThat(failure).isInstanceOf(Rejected.class).hasMessage("HTTP 400: max_tokens: Field required");
    }

    @Test
    void anthropicOverloadedIsUnavailable() {
        UpstreamException failure = failures.fromStatus(529, EmptyHttpHeaders.INSTANCE,
                "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}", null);

        assertThat(failure).as("529 is Anthropic's 'too busy': another target may serve")
                .isInstanceOf(Unavailable.class).hasMessage("HTTP 529: Overloaded");
    }

    @Test
    void googlesRetryDelayInTheBodyStandsInForAMissingRetryAfter() {
        UpstreamException failure = failures.fromStatus(429, EmptyHttpHeaders.INSTANCE, GOOGLE_QUOTA_EXCEEDED, null);

        assertThat(failure).isInstanceOf(RateLimited.class)
                .hasMessageStartingWith("HTTP 429: You exceeded your current quota");
        assertThat(((RateLimited) failure).retryAfter()).isEqualTo(Duration.ofMillis(36500));
    }

    @Test
    void aRetryAfterHeaderWinsOverTheBody() {
        UpstreamException failure = failures.fromStatus(429, headers("Retry-After", "5"), GOOGLE_QUOTA_EXCEEDED, null);

        assertThat(((RateLimited) failure).retryAfter()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void googlesInvalidKeyIsAuthRejectedThoughItComesAs400() {
        UpstreamException failure = failures.fromStatus(400, EmptyHttpHeaders.INSTANCE, """
                {"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                  "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                  "reason": "API_KEY_INVALID", "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}}]}}""",
                "AIza-secret");

        assertThat(failure).as("the key must leave rotation, not the request be blamed").isInstanceOf(AuthRejected.class)
                .hasMessage("HTTP 400: API key not valid. Please pass a valid API key.");
    }

    @Test
    void anErrorBodyWrappedInAnArrayIsReadToo() {
        assertThat(failures.errorMessage("[{\"error\":{\"code\":503,\"message\":\"The model is overloaded.\",\"status\":\"UNAVAILABLE\"}}]"))
                .isEqualTo("The model is overloaded.");
    }

    @Test
    void anErrorEventMidStreamBreaksTheStreamWithItsMessage() {
        JsonMapper json = JsonMapper.builder().build();

        assertThat(UpstreamFailures.errorEvent(json.readTree("{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}")))
                .hasMessage("upstream error: Overloaded");
        assertThat(UpstreamFailures.errorEvent(json.readTree("\"model is loading\""))).hasMessage("upstream error: model is loading");
        assertThat(UpstreamFailures.errorEvent(json.readTree("{\"code\":500}"))).as("no message: the error as it came")
                .hasMessage("upstream error: {\"code\":500}");
    }

    private static HttpHeaders headers(String name, String value) {
        return new DefaultHttpHeaders().add(name, value);
    }
}
