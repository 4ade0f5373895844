package dev.sluice.gateway.chat.anthropic;

import java.util.List;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.ContentPart;
import dev.sluice.gateway.llm.ReplyOptions;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.llm.Sampling;
import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.llm.ToolChoice;
import dev.sluice.gateway.llm.ToolDefinition;
import dev.sluice.gateway.llm.ToolUse;
import dev.sluice.gateway.provider.http.EventStreams;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a Messages request becomes in the neutral model, and what is refused by name. */
class MessagesRequestReaderTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String HI = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";

    @Test
    void anAgentsRequestWithImagesToolsAndCacheHintsReadsIntoTheNeutralRequest() {
        ChatRequest read = MessagesRequestReader.read(wire(new String(EventStreams.fixture("/chat/anthropic/agent-request.json"))));

        ChatRequest expected = new ChatRequest("fast", List.of(
                ChatMessage.of(Role.SYSTEM, "You are a coding agent."),
                ChatMessage.of(Role.SYSTEM, "Work in /repo."),
                ChatMessage.of(Role.USER, List.of(new ContentPart.Text("What is in this screenshot?"),
                        ContentPart.Image.inline("image/png", "iVBORw0KGgo="), new ContentPart.Text("And list the files."))),
                new ChatMessage(Role.ASSISTANT, "A login form. Listing the files.", List.of(
                        new ToolCall("toolu_01A", "ls", "{\"path\":\"/repo\"}"),
                        new ToolCall("toolu_01B", "read", "{\"path\":\"/repo/README\"}")), null, null),
                new ChatMessage(Role.TOOL, "README\nsrc", List.of(), "toolu_01A", null),
                new ChatMessage(Role.TOOL, "Error: <tool_use_error>Permission denied</tool_use_error>", List.of(), "toolu_01B", null),
                ChatMessage.of(Role.USER, "Carry on."),
                ChatMessage.of(Role.ASSISTANT, "On it."),
                ChatMessage.of(Role.USER, "Thanks")),
                new Sampling(1.0, 0.9, null, null, null, List.of("\n\nHuman:")),
                new ReplyOptions(32000, null, null, null, null),
                new ToolUse(List.of(new ToolDefinition("ls", "List a directory", JSON.readTree(
                                "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}},\"required\":[\"path\"]}"), null),
                        new ToolDefinition("read", null, JSON.readTree(
                                "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}}}"), true)),
                        ToolChoice.of(ToolChoice.Mode.AUTO), false),
                "user_abc_account__session_123", null);
        assertThat(read).as("system blocks as system messages, a turn's tool results split from its text, an error"
                + " flag said in the text; cache hints, disabled thinking, thinking edits and the default effort read as the"
                + " no-ops they are")
                .isEqualTo(expected);
        assertThat(read.messages().get(2).content()).as("what limits and estimates read of a turn of parts")
                .isEqualTo("What is in this screenshot?\nAnd list the files.");
    }

    @Test
    void anImageByUrlAndPlainStringContentAreRead() {
        ChatRequest read = MessagesRequestReader.read(wire("""
                {"model":"fast","max_tokens":10,"system":"Be brief.","messages":[{"role":"user","content":[
                  {"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}},
                  {"type":"text","text":"What is this?"}]}]}"""));

        assertThat(read.messages()).containsExactly(ChatMessage.of(Role.SYSTEM, "Be brief."),
                ChatMessage.of(Role.USER, List.of(ContentPart.Image.at("https://example.com/cat.jpg"),
                        new ContentPart.Text("What is this?"))));
        assertThat(read.sampling().stop()).isEmpty();
        assertThat(read.toolUse().choice()).isNull();
        assertThat(read.toolUse().parallelCalls()).as("left to the provider when the caller did not say").isNull();
    }

    @Test
    void toolChoiceTypesMapToTheNeutralModes() {
        assertThat(toolChoice("{\"type\":\"any\"}")).isEqualTo(ToolChoice.of(ToolChoice.Mode.REQUIRED));
        assertThat(toolChoice("{\"type\":\"none\"}")).isEqualTo(ToolChoice.of(ToolChoice.Mode.NONE));
        assertThat(toolChoice("{\"type\":\"tool\",\"name\":\"ls\"}")).isEqualTo(ToolChoice.function("ls"));
    }

    @Test
    void countingTokensNeedsNoMaxTokensButAChatDoes() {
        MessagesRequest withoutMaxTokens = wire("{\"model\":\"fast\"," + HI + "}");

        assertThat(MessagesRequestReader.readForCount(withoutMaxTokens).reply().maxTokens()).isNull();
        assertThatThrownBy(() -> MessagesRequestReader.read(withoutMaxTokens)).as("Anthropic requires it on a chat")
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.getMessage()).isEqualTo("max_tokens: is required"));
        assertThatThrownBy(() -> MessagesRequestReader.read(wire("{\"model\":\"fast\",\"max_tokens\":0," + HI + "}")))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.param()).isEqualTo("max_tokens"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            top_k, which no provider shares        | "top_k":5                                                     | top_k
            extended thinking                      | "thinking":{"type":"enabled","budget_tokens":2048}            | thinking
            adaptive thinking                      | "thinking":{"type":"adaptive"}                                | thinking
            a field this API does not know         | "service_tier":"auto"                                         | service_tier
            context edits that drop messages       | "context_management":{"edits":[{"type":"clear_tool_uses_20250919"}]} | context_management.edits[0].type
            a server tool                          | "tools":[{"type":"web_search_20250305","name":"web_search"}]  | tools[0].type
            a deferred tool, for a tool search     | "tools":[{"name":"ls","input_schema":{"type":"object"},"defer_loading":true}] | tools[0].defer_loading
            a tool field Sluice cannot pass on     | "tools":[{"name":"ls","input_schema":{"type":"object"},"allowed_callers":["x"]}] | tools[0].allowed_callers
            an effort other than the default       | "output_config":{"effort":"low"}                              | output_config.effort
            a structured output format             | "output_config":{"format":{"type":"json_schema","schema":{}}} | output_config.format
            a temperature over Anthropic's range   | "temperature":1.5                                             | temperature
            an unknown tool choice                 | "tool_choice":{"type":"some"}                                 | tool_choice.type
            metadata beyond user_id                | "metadata":{"user_id":"u","tier":"gold"}                      | metadata.tier
            """)
    void whatTheNeutralModelCannotCarryIsRefusedNamingIt(String what, String field, String param) {
        MessagesRequest wire = wire("{\"model\":\"fast\",\"max_tokens\":10," + HI + "," + field + "}");

        assertThatThrownBy(() -> MessagesRequestReader.read(wire)).as(what)
                .isInstanceOfSatisfying(GatewayException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
                    assertThat(e.param()).isEqualTo(param);
                    assertThat(e.getMessage()).startsWith(param + ": ");
                });
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            a document block                   | {"role":"user","content":[{"type":"document","source":{"type":"text","data":"x"}}]} | messages[0].content[0].type
            an image in a tool result          | {"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"image","source":{"type":"url","url":"u"}}]}]} | messages[0].content[0].content[0].type
            a thinking block in history        | {"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"s"}]} | messages[0].content[0].type
            an image type Anthropic does not read | {"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/tiff","data":"AA=="}}]} | messages[0].content[0].source.media_type
            an uploaded file as image source   | {"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"file_1"}}]} | messages[0].content[0].source.type
            a tool result without its call's id | {"role":"user","content":[{"type":"tool_result","content":"ok"}]} | messages[0].content[0].tool_use_id
            a tool call whose input is no object | {"role":"assistant","content":[{"type":"tool_use","id":"t","name":"ls","input":[1]}]} | messages[0].content[0].input
            an unknown role                    | {"role":"tool","content":"x"}                                                        | messages[0].role
            """)
    void contentTheNeutralModelCannotCarryIsRefusedNamingIt(String what, String message, String param) {
        MessagesRequest wire = wire("{\"model\":\"fast\",\"max_tokens\":10,\"messages\":[" + message + "]}");

        assertThatThrownBy(() -> MessagesRequestReader.read(wire)).as(what)
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.param()).isEqualTo(param));
    }

    private static ToolChoice toolChoice(String choice) {
        return MessagesRequestReader.read(wire("{\"model\":\"fast\",\"max_tokens\":10," + HI
                + ",\"tools\":[{\"name\":\"ls\",\"input_schema\":{\"type\":\"object\"}}],\"tool_choice\":" + choice + "}"))
                .toolUse().choice();
    }

    private static MessagesRequest wire(String body) {
        return JSON.readValue(body, MessagesRequest.class);
    }
}
