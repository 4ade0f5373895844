package dev.sluice.gateway.chat.anthropic;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.sluice.gateway.chat.EventWriters;
import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatReply;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.llm.TokenEstimate;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.provider.anthropic.AnthropicProtocol;
import dev.sluice.gateway.provider.http.EventStreams;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The events and messages of a {@code /v1/messages} reply, as Anthropic's own have them. */
class MessagesEncoderTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final ChatRequest REQUEST = ChatRequest.of("fast", List.of(ChatMessage.of(Role.USER, "Say hi please")));

    private final MessagesEncoder encoder = new MessagesEncoder(REQUEST, JSON);

    @ParameterizedTest
    @ValueSource(strings = {"text-stream.sse", "tool-use-stream.sse"})
    void aRecordedAnthropicStreamReadByTheAnthropicAdapterIsWrittenBackAsTheSameEvents(String fixture) {
        byte[] recorded = EventStreams.fixture("/provider/anthropic/" + fixture);
        List<ChatChunk> chunks = EventStreams.decodeEachEventAlone(recorded, AnthropicProtocol.of(null, JSON).readers())
                .collectList().block();

        List<JsonNode> written = events(EventWriters.write(out -> {
            chunks.forEach(chunk -> encoder.chunk(chunk, out));
            encoder.complete(out);
        }));

        ChatChunk.Usage usage = (ChatChunk.Usage) chunks.get(chunks.size() - 1);
        assertThat(written.stream().map(MessagesEncoderTests::withoutIdentity).toList())
                .as("the same blocks, deltas and stop; what the neutral model does not keep set aside below")
                .isEqualTo(comparable(events(new String(recorded, StandardCharsets.UTF_8)), usage));
        JsonNode start = written.get(0).path("message");
        assertThat(start.path("id").asString()).startsWith("msg_");
        assertThat(start.path("model").asString()).as("the model as the caller named it").isEqualTo("fast");
        assertThat(start.at("/usage/input_tokens").asLong()).as("the gateway's estimate, before the provider's count")
                .isEqualTo(TokenEstimate.input(REQUEST));
    }

    @Test
    void eachEventIsFramedWithItsNameAndOneLineOfJson() {
        String stream = EventWriters.write(out -> {
            encoder.chunk(new ChatChunk.TextDelta("Hé \"you\"\n"), out);
            encoder.chunk(new ChatChunk.Finish(FinishReason.LENGTH), out);
            encoder.chunk(new ChatChunk.Usage(3, 2), out);
            encoder.complete(out);
        });

        assertThat(stream.replaceAll("msg_[0-9a-f]+", "msg_ID").split("\n\n")).containsExactly(
                "event:message_start\ndata:{\"type\":\"message_start\",\"message\":{\"id\":\"msg_ID\",\"type\":\"message\","
                        + "\"role\":\"assistant\",\"model\":\"fast\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
                        + "\"usage\":{\"input_tokens\":4,\"output_tokens\":0}}}",
                "event:content_block_start\ndata:{\"type\":\"content_block_start\",\"index\":0,"
                        + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}",
                "event:content_block_delta\ndata:{\"type\":\"content_block_delta\",\"index\":0,"
                        + "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hé \\\"you\\\"\\n\"}}",
                "event:content_block_stop\ndata:{\"type\":\"content_block_stop\",\"index\":0}",
                "event:message_delta\ndata:{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\","
                        + "\"stop_sequence\":null},\"usage\":{\"input_tokens\":3,\"output_tokens\":2}}",
                "event:message_stop\ndata:{\"type\":\"message_stop\"}");
    }

    @Test
    void aProviderThatReportsNoUsageGetsTheGatewaysEstimateInMessageDelta() {
        List<JsonNode> events = events(EventWriters.write(out -> {
            encoder.chunk(new ChatChunk.TextDelta("12345678"), out);
            encoder.chunk(new ChatChunk.Finish(FinishReason.STOP), out);
            encoder.complete(out);
        }));

        JsonNode delta = events.get(events.size() - 2);
        assertThat(delta.path("type").asString()).isEqualTo("message_delta");
        assertThat(delta.at("/delta/stop_reason").asString()).isEqualTo("end_turn");
        assertThat(delta.at("/usage/output_tokens").asLong()).as("8 characters").isEqualTo(2);
        assertThat(delta.at("/usage/input_tokens").asLong()).isEqualTo(TokenEstimate.input(REQUEST));
    }

    @Test
    void aFailureAfterTheFirstEventIsAnErrorEventAndNoMessageStop() {
        List<JsonNode> events = events(EventWriters.write(out -> {
            encoder.chunk(new ChatChunk.TextDelta("tok0 "), out);
            encoder.failed(new GatewayException(ErrorCode.STREAM_BROKEN, "The upstream stream broke"), out);
        }));

        assertThat(events.get(events.size() - 1).toString()).as("Anthropic's error event; SDKs throw on it")
                .isEqualTo("{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"The upstream stream broke\"}}");
        assertThat(events).as("a broken stream must not look finished")
                .noneMatch(event -> event.path("type").asString().equals("message_stop"));
    }

    @Test
    void aFragmentOfAToolCallAfterTheNextOneBeganEndsTheStreamRatherThanLandInTheWrongBlock() {
        assertThatThrownBy(() -> EventWriters.write(out -> {
            encoder.chunk(new ChatChunk.ToolCallDelta(0, "call_1", "ls", "{"), out);
            encoder.chunk(new ChatChunk.ToolCallDelta(1, "call_2", "read", "{"), out);
            encoder.chunk(new ChatChunk.ToolCallDelta(0, null, null, "}"), out);
        })).isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.STREAM_BROKEN));
    }

    @Test
    void aWholeReplyIsOneMessageOfItsTextThenItsToolCalls() {
        ChatReply reply = new ChatReply("Checking.", List.of(new ToolCall("call_1", "get_weather", "{\"city\":\"Paris\"}"),
                new ToolCall(null, "get_time", "")), FinishReason.TOOL_CALLS, null, new ChatChunk.Usage(20, 7), List.of());

        JsonNode message = JSON.readTree(JSON.writeValueAsString(encoder.message(reply)));

        ((ObjectNode) message).put("id", "msg_ID");
        ((ObjectNode) message.at("/content/2")).put("id", "toolu_ID");
        assertThat(message).isEqualTo(JSON.readTree("""
                {"id":"msg_ID","type":"message","role":"assistant","model":"fast","content":[
                  {"type":"text","text":"Checking."},
                  {"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}},
                  {"type":"tool_use","id":"toolu_ID","name":"get_time","input":{}}],
                 "stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":20,"output_tokens":7}}"""));
        assertThat(encoder.message(reply).content().get(2).id()).as("a call the provider did not name gets an id of ours")
                .startsWith("toolu_");
    }

    @Test
    void aWholeReplyWhoseToolArgumentsAreNoObjectIsRefusedRatherThanGuessed() {
        ChatReply cut = new ChatReply("", List.of(new ToolCall("call_1", "ls", "{\"path\": \"/re")), FinishReason.LENGTH, null,
                null, List.of());

        assertThatThrownBy(() -> encoder.message(cut)).as("tool_use.input must be an object")
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.getMessage()).contains("'ls'"));
    }

    @ParameterizedTest
    @CsvSource({"STOP, end_turn", "LENGTH, max_tokens", "TOOL_CALLS, tool_use", "CONTENT_FILTER, refusal"})
    void finishReasonsAreAnthropicsStopReasons(FinishReason reason, String stopReason) {
        assertThat(MessagesEncoder.stopReason(reason, null)).isEqualTo(stopReason);
    }

    @Test
    void aStopAtAStopSequenceTheProviderNamedIsStopSequenceNamingItStreamedAndWhole() {
        String stream = EventWriters.write(out -> {
            encoder.chunk(new ChatChunk.TextDelta("one, two"), out);
            encoder.chunk(new ChatChunk.Finish(FinishReason.STOP, "three"), out);
            encoder.chunk(new ChatChunk.Usage(5, 3), out);
            encoder.complete(out);
        });
        ChatReply whole = new ChatReply("one, two", List.of(), FinishReason.STOP, "three", new ChatChunk.Usage(5, 3), List.of());

        JsonNode delta = events(stream).stream().filter(event -> event.path("type").asString().equals("message_delta"))
                .findFirst().orElseThrow().path("delta");
        assertThat(delta.toString()).as("the stream's message_delta")
                .isEqualTo("{\"stop_reason\":\"stop_sequence\",\"stop_sequence\":\"three\"}");
        assertThat(encoder.message(whole)).as("the whole message")
                .satisfies(message -> assertThat(message.stopReason()).isEqualTo("stop_sequence"))
                .satisfies(message -> assertThat(message.stopSequence()).isEqualTo("three"));
    }

    /** The data of each event, checked to be named after its type. */
    private static List<JsonNode> events(String stream) {
        List<JsonNode> events = new ArrayList<>();
        for (String block : stream.split("\n\n")) {
            String name = null;
            JsonNode data = null;
            for (String line : block.split("\n")) {
                if (line.startsWith("event:")) {
                    name = line.substring(6).strip();
                }
                else if (line.startsWith("data:")) {
                    data = JSON.readTree(line.substring(5).strip());
                }
            }
            if (data != null) {
                assertThat(data.path("type").asString()).as("an event is named after its type").isEqualTo(name);
                events.add(data);
            }
        }
        return events;
    }

    /**
     * A recorded stream as the neutral model keeps it: no pings (heartbeats are comments here), no empty argument
     * deltas, Anthropic's own message id, model and cache counts set aside, the usage as the adapter read it.
     */
    private static List<JsonNode> comparable(List<JsonNode> recorded, ChatChunk.Usage usage) {
        List<JsonNode> kept = new ArrayList<>();
        for (JsonNode event : recorded) {
            String type = event.path("type").asString();
            if (type.equals("ping") || "".equals(event.at("/delta/partial_json").asString(null))) {
                continue;
            }
            ObjectNode copy = withoutIdentity(event);
            if (type.equals("message_delta")) {
                copy.putObject("usage").put("input_tokens", usage.promptTokens()).put("output_tokens", usage.completionTokens());
            }
            kept.add(copy);
        }
        return kept;
    }

    /** An event with its message's id, model and first usage blanked: what differs between two gateways' replies. */
    private static ObjectNode withoutIdentity(JsonNode event) {
        ObjectNode copy = (ObjectNode) event.deepCopy();
        if (copy.path("type").asString().equals("message_start")) {
            ObjectNode message = (ObjectNode) copy.get("message");
            message.put("id", "").put("model", "");
            message.putObject("usage");
        }
        return copy;
    }
}
