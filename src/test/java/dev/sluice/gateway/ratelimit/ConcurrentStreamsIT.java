package dev.sluice.gateway.ratelimit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import dev.sluice.bench.Script;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.web.reactive.function.client.WebClientResponseException;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

import static dev.sluice.gateway.ratelimit.TestClients.FORWARDED_FOR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Issue 12, point 10: a cap on one account's chats in flight; a stream that ends or is cancelled gives its slot back. */
@TestPropertySource(properties = "sluice.limits.per-user.max-concurrent-streams=" + ConcurrentStreamsIT.MAX_STREAMS)
class ConcurrentStreamsIT extends IntegrationTest {

    static final int MAX_STREAMS = 2;
    private static final Duration PACE = Duration.ofMillis(100);

    @Test
    void beyondItsConcurrentStreamsAnAccountGets429AndAFinishedOrCancelledStreamGivesItsSlotBack() {
        String token = TestClients.newAccount(web, TestClients.freshIp()).accessToken();
        upstream.enqueue(Script.tokens(1000).every(PACE), Script.tokens(20).every(PACE));
        upstream.defaultScript(Script.tokens(1000).every(PACE));
        AtomicInteger longTokens = new AtomicInteger();
        AtomicInteger shortTokens = new AtomicInteger();
        Disposable longStream = stream(token, longTokens).subscribe();
        await().atMost(Duration.ofSeconds(10)).until(() -> longTokens.get() > 0);
        Disposable shortStream = stream(token, shortTokens).subscribe();
        await().atMost(Duration.ofSeconds(10)).until(() -> shortTokens.get() > 0);

        chat(token).expectStatus().isEqualTo(429)
                .expectHeader().exists(HttpHeaders.RETRY_AFTER)
                .expectHeader().valueEquals("X-RateLimit-Limit", Integer.toString(MAX_STREAMS))
                .expectHeader().valueEquals("X-RateLimit-Remaining", "0")
                .expectHeader().exists("X-RateLimit-Reset")
                .expectBody().jsonPath("$.detail").value(detail -> assertThat((String) detail)
                        .as("names the limit").contains("max-concurrent-streams").contains(Integer.toString(MAX_STREAMS)));
        // Another account is not affected.
        assertThat(chatStatus(TestClients.newAccount(web, TestClients.freshIp()).accessToken()).block(Duration.ofSeconds(10)))
                .as("another account's chat").isEqualTo(200);

        await().atMost(Duration.ofSeconds(15)).until(shortStream::isDisposed);
        assertThat(shortTokens.get()).as("the short stream ran to its end").isEqualTo(20);
        await().atMost(Duration.ofSeconds(10)).until(() -> chatStatus(token).block(Duration.ofSeconds(10)) == 200);

        longStream.dispose();
        AtomicInteger first = new AtomicInteger();
        AtomicInteger second = new AtomicInteger();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Disposable one = stream(token, first).subscribe();
            Disposable two = stream(token, second).subscribe();
            try {
                await().atMost(Duration.ofSeconds(5)).until(() -> first.get() > 0 && second.get() > 0);
            }
            finally {
                one.dispose();
                two.dispose();
            }
        });
    }

    /** A native streaming chat on a real socket, counting its tokens; cancelled by disposing its subscription. */
    private Mono<Void> stream(String token, AtomicInteger tokens) {
        return client().post().uri("/api/v1/chat").header(FORWARDED_FOR, TestClients.freshIp())
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + token).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"prompt\":\"Tell me a long story\"}")
                .retrieve().bodyToFlux(SseEvents.TYPE)
                .filter(event -> "token".equals(event.event()))
                .doOnNext(event -> tokens.incrementAndGet())
                .then();
    }

    /** 200 once a streaming chat's first event arrives, hung up on then (which cancels it), or the refusal's status. */
    private Mono<Integer> chatStatus(String token) {
        return client().post().uri("/api/v1/chat").header(FORWARDED_FOR, TestClients.freshIp())
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + token).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"prompt\":\"Just checking\"}")
                .retrieve().bodyToFlux(SseEvents.TYPE)
                .next()
                .thenReturn(200)
                .onErrorResume(WebClientResponseException.class, refused -> Mono.just(refused.getStatusCode().value()));
    }

    private org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec chat(String token) {
        return web.post().uri("/api/v1/chat").header(FORWARDED_FOR, TestClients.freshIp())
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + token).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake\",\"prompt\":\"One too many\",\"stream\":false}").exchange();
    }
}
