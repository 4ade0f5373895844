package dev.sluice.gateway.chat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whatever a client sends, it gets a 4xx in its API's error shape that names the problem, never a 500.
 * Runs on the embedded default (demo simulator), with small limits so they are easy to cross.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"sluice.web.max-body-size=16KB", "sluice.chat.max-content-chars=2000", "sluice.chat.max-messages=5"})
@AutoConfigureWebTestClient
class BadInputTests {

    @Autowired
    WebTestClient web;

    @Test
    void malformedJsonIsA400SayingSo() {
        openAi("{\"model\":\"demo\",\"messages\":[").expectStatus().isBadRequest()
                .expectBody()
                .jsonPath("$.error.type").isEqualTo("invalid_request_error")
                .jsonPath("$.error.message").value(message -> assertThat((String) message).contains("not valid JSON"));
        nativeChat("{\"model\":").expectStatus().isBadRequest()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.status").isEqualTo(400)
                .jsonPath("$.title").isEqualTo("Bad Request")
                .jsonPath("$.detail").value(detail -> assertThat((String) detail).contains("not valid JSON"))
                .jsonPath("$.request_id").isNotEmpty();
    }

    @Test
    void aValueOfTheWrongTypeIsNamed() {
        openAi("""
                {"model":"demo","temperature":"hot","messages":[{"role":"user","content":"hi"}]}""")
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.message").value(message -> assertThat((String) message).startsWith("temperature"));
        openAi("""
                {"model":"demo","messages":"hello"}""")
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.message").value(message -> assertThat((String) message).startsWith("messages"));
    }

    @Test
    void emptyOrMissingMessagesAreRefused() {
        openAi("{\"model\":\"demo\",\"messages\":[]}").expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.param").isEqualTo("messages");
        nativeChat("{\"model\":\"demo\"}").expectStatus().isBadRequest()
                .expectBody().jsonPath("$.detail").value(detail -> assertThat((String) detail).contains("messages"));
    }

    @Test
    void anUnknownRoleIsNamedWithItsPosition() {
        openAi("""
                {"model":"demo","messages":[{"role":"user","content":"hi"},{"role":"bot","content":"yo"}]}""")
                .expectStatus().isBadRequest()
                .expectBody()
                .jsonPath("$.error.param").isEqualTo("messages[1].role")
                .jsonPath("$.error.message").value(message -> assertThat((String) message).contains("'bot'"));
    }

    @Test
    void outOfRangeParametersAreRefused() {
        openAi("""
                {"model":"demo","temperature":7,"messages":[{"role":"user","content":"hi"}]}""")
                .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("temperature");
        openAi("""
                {"model":"demo","n":0,"messages":[{"role":"user","content":"hi"}]}""")
                .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("n");
        openAi("""
                {"model":"demo","messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}]}""")
                .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param")
                .isEqualTo("messages[0].content[0].image_url.url");
    }

    @Test
    void contentOverTheConfiguredLimitIsRefused() {
        openAi("{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(2001) + "\"}]}")
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.message").value(message -> assertThat((String) message).contains("limit of 2000"));
        nativeChat("{\"model\":\"demo\",\"messages\":[" + "{\"role\":\"user\",\"content\":\"hi\"},".repeat(5)
                + "{\"role\":\"user\",\"content\":\"hi\"}]}")
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.detail").value(detail -> assertThat((String) detail).contains("limit of 5"));
    }

    @Test
    void aBodyOverTheSizeLimitIs413WithOrWithoutAContentLength() {
        String big = "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(20_000) + "\"}]}";
        openAi(big).expectStatus().isEqualTo(413).expectBody().jsonPath("$.error.code").isEqualTo("payload_too_large");

        DataBuffer chunk = DefaultDataBufferFactory.sharedInstance.wrap(big.getBytes(StandardCharsets.UTF_8));
        web.post().uri("/api/v1/chat").contentType(MediaType.APPLICATION_JSON)
                .body(Flux.just(chunk), DataBuffer.class) // no Content-Length: sent chunked
                .exchange()
                .expectStatus().isEqualTo(413)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
    }

    @Test
    void aBodyThatIsNotJsonIs415() {
        web.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_FORM_URLENCODED).bodyValue("model=demo")
                .exchange()
                .expectStatus().isEqualTo(415)
                .expectBody().jsonPath("$.error.message").value(message -> assertThat((String) message).contains("application/json"));
        web.post().uri("/api/v1/chat").contentType(MediaType.TEXT_PLAIN).bodyValue("hello")
                .exchange()
                .expectStatus().isEqualTo(415);
    }

    @Test
    void anEmptyBodyIsRefused() {
        web.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON).exchange()
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.message").value(message -> assertThat((String) message).contains("empty"));
    }

    @Test
    void anUnknownModelIs404() {
        openAi("""
                {"model":"gpt-17","messages":[{"role":"user","content":"hi"}]}""")
                .expectStatus().isNotFound()
                .expectBody()
                .jsonPath("$.error.code").isEqualTo("model_not_found")
                .jsonPath("$.error.message").value(message -> assertThat((String) message).contains("gpt-17"));
        nativeChat("""
                {"model":"demo/other-model","prompt":"hi"}""")
                .expectStatus().isNotFound()
                .expectBody().jsonPath("$.type").isEqualTo("https://sluice.dev/problems/model-not-found");
        nativeChat("""
                {"agent":"nobody","prompt":"hi"}""")
                .expectStatus().isNotFound();
    }

    @Test
    void theWrongMethodOrPathIsA4xxInTheApiShape() {
        web.get().uri("/v1/chat/completions").exchange()
                .expectStatus().isEqualTo(405)
                .expectBody().jsonPath("$.error.code").isEqualTo("method_not_allowed");
        web.get().uri("/api/v1/nothing-here").exchange()
                .expectStatus().isNotFound()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
    }

    @Test
    void theClientsRequestIdIsEchoedAndOneIsMadeOtherwise() {
        web.get().uri("/v1/models").header("X-Request-ID", "trace-42").exchange()
                .expectHeader().valueEquals("X-Request-ID", "trace-42");
        web.get().uri("/v1/models").header("X-Request-ID", "bad id\twith junk").exchange()
                .expectHeader().value("X-Request-ID", id -> assertThat(id).matches("[0-9a-f]{32}"));
        openAi("{}").expectStatus().isBadRequest().expectHeader().exists("X-Request-ID");
    }

    private WebTestClient.ResponseSpec openAi(String body) {
        return web.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    private WebTestClient.ResponseSpec nativeChat(String body) {
        return web.post().uri("/api/v1/chat").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }
}
