package dev.sluice.gateway.accesslog;

import java.util.HashMap;
import java.util.Map;

import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpResponse;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.server.handler.ExceptionHandlingWebHandler;
import org.springframework.web.util.pattern.PathPatternParser;
import reactor.core.publisher.SignalType;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code http.server.requests}, timed once per request from its access record, with Spring's tags and the model. */
class RequestMetricsTests {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final RequestMetrics metrics = new RequestMetrics(registry);

    @Test
    void aChatIsTimedOnceWithItsRoutePatternStatusOutcomeAndModel() {
        MockServerHttpResponse response = new MockServerHttpResponse();
        LongTaskTimer.Sample active = metrics.started("POST", response);
        AccessRecord record = request("POST", "/v1/chat/completions", response);
        record.chat(new AccessLogTests.Chat("fast", "fake/fast-model", 0, null));
        response.setStatusCode(HttpStatus.OK);
        response.setComplete().block();

        active.stop();
        metrics.ended(record, response, SignalType.ON_COMPLETE);

        Timer timer = registry.get("http.server.requests").timer();
        assertThat(timer.count()).isEqualTo(1);
        assertThat(timer.getId().getTags()).as("Spring's tags, and the model asked for")
                .extracting(tag -> tag.getKey() + "=" + tag.getValue())
                .containsExactlyInAnyOrder("method=POST", "uri=/v1/chat/completions", "status=200", "outcome=SUCCESS",
                        "exception=none", "error=none", "model=fast");
        assertThat(registry.get("http.server.requests.active").longTaskTimer().activeTasks())
                .as("no longer in progress").isZero();
    }

    @Test
    void otherRequestsAreTaggedWithoutAModelAndAHandledErrorIsNamed() {
        MockServerHttpResponse response = new MockServerHttpResponse();
        AccessRecord record = request("GET", "/api/v1/conversations/{id}/messages", response);
        record.attributes().put(ExceptionHandlingWebHandler.HANDLED_WEB_EXCEPTION, new IllegalStateException("handled"));
        response.setStatusCode(HttpStatus.SERVICE_UNAVAILABLE);

        metrics.ended(record, response, SignalType.ON_COMPLETE);

        assertThat(registry.get("http.server.requests").tags("model", "none", "uri", "/api/v1/conversations/{id}/messages",
                "status", "503", "outcome", "SERVER_ERROR", "exception", "IllegalStateException",
                "error", "IllegalStateException").timer().count()).isEqualTo(1);
    }

    @Test
    void aRequestWithoutARouteSaysWhatItsStatusSaysNeverItsPath() {
        MockServerHttpResponse response = new MockServerHttpResponse();
        AccessRecord record = new AccessRecord("GET", "/no/such/page/42", System.nanoTime());
        record.attributes(new HashMap<>());
        response.setStatusCode(HttpStatus.NOT_FOUND);

        metrics.ended(record, response, SignalType.ON_COMPLETE);

        assertThat(registry.get("http.server.requests").tags("uri", "NOT_FOUND", "outcome", "CLIENT_ERROR").timer().count())
                .isEqualTo(1);
    }

    @Test
    void aClientThatWentAwayBeforeTheResponseStartedLeavesTheStatusAndOutcomeUnknown() {
        MockServerHttpResponse response = new MockServerHttpResponse();
        LongTaskTimer.Sample active = metrics.started("POST", response);
        AccessRecord record = request("POST", "/api/v1/chat", response);
        assertThat(registry.get("http.server.requests.active").tags("method", "POST", "uri", "UNKNOWN", "model", "none")
                .longTaskTimer().activeTasks()).as("in progress").isEqualTo(1);

        active.stop();
        metrics.ended(record, response, SignalType.CANCEL);

        assertThat(registry.get("http.server.requests").tags("status", "UNKNOWN", "outcome", "UNKNOWN", "uri", "/api/v1/chat")
                .timer().count()).isEqualTo(1);
    }

    private static AccessRecord request(String method, String pattern, MockServerHttpResponse response) {
        AccessRecord record = new AccessRecord(method, pattern, System.nanoTime());
        Map<String, Object> attributes = new HashMap<>();
        attributes.put(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE, PathPatternParser.defaultInstance.parse(pattern));
        record.attributes(attributes);
        return record;
    }
}
