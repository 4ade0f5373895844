package dev.sluice.gateway.provider.http;

import dev.sluice.gateway.llm.ToolCall;
import dev.sluice.gateway.provider.UpstreamException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The arguments of a tool call as a JSON object. OpenAI keeps them as the JSON text the model wrote;
 * Anthropic ({@code tool_use.input}) and Gemini ({@code functionCall.args}) take the object itself.
 */
public final class ToolArguments {

    private ToolArguments() {
    }

    /**
     * The arguments of {@code call}, parsed; no arguments at all is an empty object.
     *
     * @throws UpstreamException.Rejected when they are not a JSON object, which these protocols cannot carry
     */
    public static JsonNode object(JsonMapper json, ToolCall call) {
        String arguments = call.arguments();
        if (arguments == null || arguments.isBlank()) {
            return json.createObjectNode();
        }
        try {
            JsonNode parsed = json.readTree(arguments);
            if (parsed.isObject()) {
                return parsed;
            }
        }
        catch (JacksonException e) {
            // Not JSON: refused below, like any other non-object.
        }
        throw new UpstreamException.Rejected(400, "the arguments of tool call '" + call.id() + "' ("
                + call.name() + ") are not a JSON object");
    }
}
