package dev.sluice.gateway.status;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.LoopResources;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/** Probes against real sockets: any answer means reachable, silence, refusal and 5xx do not. */
class ProviderProbeTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    // Its own event loop: the probe's client does not share threads with the server it probes.
    private final LoopResources loops = LoopResources.create("probe-test", 1, true);
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final ProviderProbe probe = new ProviderProbe();
    private DisposableServer server;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.disposeNow(TIMEOUT);
        }
        loops.disposeLater(Duration.ZERO, TIMEOUT).block(TIMEOUT);
    }

    @Test
    void aProviderAnswering401WithoutAKeyIsReachable() {
        server = answering(HttpResponseStatus.UNAUTHORIZED);

        probe.probe(target(baseUrl() + "/openai/v1/", TIMEOUT))
                .as(StepVerifier::create)
                .assertNext(result -> {
                    assertThat(result.reachable()).as("a 401 proves the provider is there").isTrue();
                    assertThat(result.provider()).isEqualTo("groq");
                    assertThat(result.latency()).isPositive().isLessThan(TIMEOUT);
                    assertThat(result.failure()).isNull();
                })
                .verifyComplete();
        assertThat(requests).as("an unauthenticated GET of the model list, trailing slash folded")
                .containsExactly("GET /openai/v1/models authorization=null user-agent=sluice-status-probe");
    }

    @Test
    void aProviderAnswering404IsReachableToo() {
        server = answering(HttpResponseStatus.NOT_FOUND);

        probe.probe(target(baseUrl() + "/v1", TIMEOUT))
                .as(StepVerifier::create)
                .assertNext(result -> assertThat(result.reachable()).as("any HTTP answer below 500").isTrue())
                .verifyComplete();
    }

    @Test
    void aProviderAnswering503IsAFailedCheck() {
        server = answering(HttpResponseStatus.SERVICE_UNAVAILABLE);

        probe.probe(target(baseUrl() + "/v1", TIMEOUT))
                .as(StepVerifier::create)
                .assertNext(result -> {
                    assertThat(result.reachable()).as("a 5xx is the provider failing").isFalse();
                    assertThat(result.failure()).isEqualTo("answered 503");
                })
                .verifyComplete();
    }

    @Test
    void aClosedPortIsAFailedCheck() {
        DisposableServer closed = answering(HttpResponseStatus.OK);
        String url = "http://127.0.0.1:" + closed.port() + "/v1";
        closed.disposeNow(TIMEOUT);

        probe.probe(target(url, TIMEOUT))
                .as(StepVerifier::create)
                .assertNext(result -> {
                    assertThat(result.reachable()).as("nothing listens there").isFalse();
                    assertThat(result.latency()).as("refused at once, long before the timeout").isLessThan(TIMEOUT);
                    assertThat(result.failure()).isNotBlank();
                })
                .verifyComplete();
    }

    @Test
    void aProviderThatNeverAnswersFailsWhenTheProbeTimesOut() {
        server = HttpServer.create().host("127.0.0.1").port(0).runOn(loops)
                .handle((request, response) -> Mono.never())
                .bindNow(TIMEOUT);

        probe.probe(target(baseUrl() + "/v1", Duration.ofMillis(300)))
                .as(StepVerifier::create)
                .assertNext(result -> {
                    assertThat(result.reachable()).isFalse();
                    assertThat(result.failure()).isEqualTo("no answer within 300 ms");
                })
                .verifyComplete();
    }

    @Test
    void theDemoSimulatorIsAlwaysReachableWithoutTouchingTheNetwork() {
        probe.probe(ProbeTarget.inProcess("demo"))
                .as(StepVerifier::create)
                .assertNext(result -> {
                    assertThat(result.reachable()).isTrue();
                    assertThat(result.latency()).isZero();
                })
                .verifyComplete();
    }

    private DisposableServer answering(HttpResponseStatus status) {
        return HttpServer.create().host("127.0.0.1").port(0).runOn(loops)
                .handle((request, response) -> {
                    requests.add(request.method() + " " + request.uri()
                            + " authorization=" + request.requestHeaders().get(HttpHeaderNames.AUTHORIZATION)
                            + " user-agent=" + request.requestHeaders().get(HttpHeaderNames.USER_AGENT));
                    return response.status(status).sendString(Mono.just("{\"error\":{\"message\":\"no\"}}"));
                })
                .bindNow(TIMEOUT);
    }

    private String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    private static ProbeTarget target(String baseUrl, Duration timeout) {
        return new ProbeTarget("groq", ProbeTarget.modelsUri(URI.create(baseUrl)), timeout);
    }
}
