package dev.sluice.gateway.provider.demo;

import dev.sluice.gateway.testing.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/** The demo simulator through the OpenAI edge: tools and JSON modes get answers of their shape, not plain text. */
class DemoSimulatorIT extends IntegrationTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String WEATHER_TOOL = """
            "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object",
            "properties":{"city":{"type":"string"}},"required":["city"]}}}]""";

    @Test
    void aRequiredToolChoiceGetsAToolCallWithArgumentsOfItsSchema() {
        JsonNode reply = completion("""
                {"model":"demo","messages":[{"role":"user","content":"Weather in Paris?"}],%s,"tool_choice":"required"}"""
                .formatted(WEATHER_TOOL)).expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();

        JsonNode choice = reply.path("choices").get(0);
        assertThat(choice.path("finish_reason").asString()).isEqualTo("tool_calls");
        JsonNode call = choice.at("/message/tool_calls/0");
        assertThat(call.at("/function/name").asString()).isEqualTo("get_weather");
        assertThat(JSON.readTree(call.at("/function/arguments").asString()).path("city").isString())
                .as("arguments a client can parse, fitting the schema").isTrue();
    }

    @Test
    void aJsonSchemaResponseFormatGetsJsonContentFittingTheSchema() {
        JsonNode reply = completion("""
                {"model":"demo","messages":[{"role":"user","content":"Rate this"}],"response_format":{"type":"json_schema",
                "json_schema":{"name":"rating","schema":{"type":"object","properties":{"score":{"type":"integer"}}}}}}""")
                .expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();

        JsonNode content = JSON.readTree(reply.at("/choices/0/message/content").asString());
        assertThat(content.path("score").isInt()).as("the content parses as the schema's JSON").isTrue();
    }

    @Test
    void aToolChoiceNamingAToolNotOfferedIsA400NamingToolChoice() {
        completion("""
                {"model":"demo","messages":[{"role":"user","content":"Hi"}],%s,
                "tool_choice":{"type":"function","function":{"name":"get_time"}}}""".formatted(WEATHER_TOOL))
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.message").value(message -> assertThat((String) message)
                        .as("the parameter at fault is named").contains("tool_choice").contains("get_time"));
    }

    private WebTestClient.ResponseSpec completion(String body) {
        return web.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }
}
