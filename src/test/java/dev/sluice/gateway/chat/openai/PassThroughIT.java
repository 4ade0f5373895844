package dev.sluice.gateway.chat.openai;

import java.util.List;
import java.util.Set;

import dev.sluice.bench.Script;
import dev.sluice.gateway.testing.IntegrationTest;
import dev.sluice.gateway.testing.SseEvents;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code /v1/chat/completions} loses nothing on its way to an OpenAI-compatible provider and back: every parameter,
 * message field and content part the caller sent reaches the fake upstream as it was sent (the fake records the
 * exact body), and the reply's fields Sluice does not model reach the caller, streamed and whole.
 */
class PassThroughIT extends IntegrationTest {

    /** What the gateway writes itself into an upstream request, or renames: not the caller's to compare. */
    private static final Set<String> SLUICE_OWN = Set.of("model", "stream", "stream_options");

    private static final String EVERYTHING = """
            {"model":"fake",
             "messages":[
               {"role":"developer","content":"Answer in JSON."},
               {"role":"user","content":[
                 {"type":"text","text":"one"},
                 {"type":"text","text":"two"},
                 {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"}},
                 {"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}},
                 {"type":"input_audio","input_audio":{"data":"UklGRiQAAABXQVZF","format":"wav"}},
                 {"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,JVBERi0x"}}]},
               {"role":"assistant","content":"Earlier answer.","reasoning_content":"Earlier thoughts.",
                "annotations":[],"refusal":null},
               {"role":"user","content":"And now?","name":"ada"}],
             "max_completion_tokens":300,
             "reasoning_effort":"low",
             "seed":7,
             "n":1,
             "temperature":0.3,
             "top_p":0.9,
             "logprobs":true,
             "top_logprobs":2,
             "logit_bias":{"50256":-100},
             "presence_penalty":0.5,
             "frequency_penalty":0.25,
             "tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object"}}}],
             "tool_choice":"auto",
             "parallel_tool_calls":false,
             "response_format":{"type":"json_schema","json_schema":{"name":"answer","strict":true,
               "schema":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}}},
             "stop":["END"],
             "user":"end-user-1",
             "metadata":{"run":"r-1"},
             "store":false,
             "prediction":{"type":"content","content":"{\\"a\\":\\"b\\"}"},
             "modalities":["text"],
             "service_tier":"flex",
             "a_parameter_of_next_year":{"deep":[1,2.5,"é"],"flag":true},
             "stream":false}""";

    @Test
    void everyParameterMessageFieldAndPartReachesTheProviderAsSent() {
        post(EVERYTHING).expectStatus().isOk();

        JsonNode sent = SseEvents.json(EVERYTHING);
        JsonNode received = SseEvents.json(upstream.requestBodies().get(0));
        for (String name : sent.propertyNames()) {
            if (!SLUICE_OWN.contains(name) && !name.equals("messages")) {
                assertThat(received.get(name)).as("'%s', as the caller sent it", name).isEqualTo(sent.get(name));
            }
        }
        assertThat(received.path("model").asString()).as("the provider's own model name").isEqualTo("fake-model");
        assertThat(received.has("max_tokens")).as("the cap goes under the caller's name only: OpenAI's reasoning models"
                + " refuse max_tokens").isFalse();
        assertThat(received.path("messages").get(1)).as("the parts in order, each as it came: no 'onetwo'")
                .isEqualTo(sent.path("messages").get(1));
        assertThat(received.path("messages").get(2)).as("an earlier reply's fields, a null one left out")
                .isEqualTo(SseEvents.json("{\"role\":\"assistant\",\"content\":\"Earlier answer.\","
                        + "\"reasoning_content\":\"Earlier thoughts.\",\"annotations\":[]}"));
        assertThat(received.path("messages").get(0).path("role").asString())
                .as("developer as system, which every OpenAI-compatible server takes and OpenAI reads alike")
                .isEqualTo("system");
        assertThat(received.path("messages").get(3)).isEqualTo(sent.path("messages").get(3));
    }

    @Test
    void aCapTheCallerDidNotSetIsTheQuotasAndGoesAsMaxTokens() {
        post("{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}").expectStatus().isOk();

        JsonNode received = SseEvents.json(upstream.requestBodies().get(0));
        assertThat(received.path("max_tokens").intValue()).as("the reply allowance, under the name every"
                + " OpenAI-compatible server reads (the provider's reply-cap-parameter)").isEqualTo(1000);
        assertThat(received.has("max_completion_tokens")).isFalse();
    }

    @Test
    void reasoningLogprobsAndTheFingerprintReachAStreamingCaller() {
        upstream.enqueue(reasoningReply());

        List<ServerSentEvent<String>> events = SseEvents.withData(post("""
                {"model":"fake","stream":true,"stream_options":{"include_usage":true},"logprobs":true,
                 "messages":[{"role":"user","content":"2+2?"}]}""")
                .expectStatus().isOk().expectBodyList(SseEvents.TYPE).returnResult().getResponseBody());

        List<JsonNode> chunks = events.stream().filter(event -> !event.data().equals("[DONE]")).map(SseEvents::json).toList();
        assertThat(chunks).as("reasoning, the text with its logprobs, the finish, the usage").hasSize(4);
        assertThat(chunks).allSatisfy(chunk -> assertThat(chunk.path("system_fingerprint").asString())
                .as("on every chunk, as OpenAI writes it").isEqualTo("fp_it"));
        assertThat(chunks.get(0).at("/choices/0/delta/reasoning_content").asString()).isEqualTo("Two and two.");
        assertThat(chunks.get(1).at("/choices/0/delta/content").asString()).isEqualTo("4");
        assertThat(chunks.get(1).at("/choices/0/logprobs/content/0/token").asString())
                .as("with the chunk of the text it is of").isEqualTo("4");
        assertThat(chunks.get(3).at("/usage/completion_tokens_details/reasoning_tokens").asInt()).isEqualTo(3);
        assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
    }

    @Test
    void reasoningLogprobsAndTheFingerprintReachACallerThatDoesNotStreamFolded() {
        upstream.enqueue(reasoningReply());

        post("{\"model\":\"fake\",\"logprobs\":true,\"messages\":[{\"role\":\"user\",\"content\":\"2+2?\"}]}")
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.system_fingerprint").isEqualTo("fp_it")
                .jsonPath("$.choices[0].message.content").isEqualTo("4")
                .jsonPath("$.choices[0].message.reasoning_content").isEqualTo("Two and two.")
                .jsonPath("$.choices[0].logprobs.content[0].token").isEqualTo("4")
                .jsonPath("$.usage.completion_tokens_details.reasoning_tokens").isEqualTo(3);
    }

    @Test
    void severalChoicesReachTheCallerEachWhole() {
        upstream.enqueue(Script.events(
                chunk("{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Yes\"},\"finish_reason\":null}"),
                chunk("{\"index\":1,\"delta\":{\"role\":\"assistant\",\"content\":\"No\"},\"finish_reason\":null}"),
                chunk("{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}"),
                chunk("{\"index\":1,\"delta\":{\"content\":\" way\"},\"finish_reason\":\"length\"}"),
                "{\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3,\"total_tokens\":8}}"));

        post("{\"model\":\"fake\",\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"Well?\"}]}")
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.choices.length()").isEqualTo(2)
                .jsonPath("$.choices[0].message.content").isEqualTo("Yes")
                .jsonPath("$.choices[1].index").isEqualTo(1)
                .jsonPath("$.choices[1].message.role").isEqualTo("assistant")
                .jsonPath("$.choices[1].message.content").isEqualTo("No way")
                .jsonPath("$.choices[1].finish_reason").isEqualTo("length");
        assertThat(SseEvents.json(upstream.requestBodies().get(0)).path("n").intValue()).isEqualTo(2);
    }

    @Test
    void theSimulatorRefusesWhatItCannotSimulateNamingIt() {
        post("{\"model\":\"demo\",\"logprobs\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .expectStatus().isBadRequest()
                .expectBody()
                .jsonPath("$.error.code").isEqualTo("unsupported_parameter")
                .jsonPath("$.error.param").isEqualTo("logprobs")
                .jsonPath("$.error.type").isEqualTo("invalid_request_error");
    }

    /** Reasoning, then the answer with its logprobs, then the finish and usage, each on OpenAI's chunk. */
    private static Script reasoningReply() {
        return Script.events(
                chunk("{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"reasoning_content\":\"\"},"
                        + "\"logprobs\":null,\"finish_reason\":null}"),
                chunk("{\"index\":0,\"delta\":{\"reasoning_content\":\"Two and two.\"},\"logprobs\":null,\"finish_reason\":null}"),
                chunk("{\"index\":0,\"delta\":{\"content\":\"4\"},\"logprobs\":{\"content\":[{\"token\":\"4\",\"logprob\":-0.01,"
                        + "\"bytes\":[52],\"top_logprobs\":[]}],\"refusal\":null},\"finish_reason\":null}"),
                chunk("{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}"),
                "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"fake-model\","
                        + "\"system_fingerprint\":\"fp_it\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":4,"
                        + "\"total_tokens\":9,\"completion_tokens_details\":{\"reasoning_tokens\":3}}}");
    }

    private static String chunk(String choice) {
        return "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"fake-model\","
                + "\"system_fingerprint\":\"fp_it\",\"choices\":[" + choice + "]}";
    }

    private WebTestClient.ResponseSpec post(String body) {
        return web.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }
}
