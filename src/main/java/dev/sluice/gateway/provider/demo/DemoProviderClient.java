package dev.sluice.gateway.provider.demo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.FinishReason;
import dev.sluice.gateway.llm.ResponseFormat;
import dev.sluice.gateway.llm.Role;
import dev.sluice.gateway.llm.ToolChoice;
import dev.sluice.gateway.llm.ToolDefinition;
import dev.sluice.gateway.provider.ProviderClient;
import dev.sluice.gateway.provider.UpstreamCall;
import dev.sluice.gateway.provider.UpstreamException;
import dev.sluice.gateway.provider.http.OpenAiOnly;
import reactor.core.publisher.Flux;
import tools.jackson.databind.node.ObjectNode;

/**
 * A local token simulator, so that a newcomer can chat without any key. It streams a canned, plausible
 * reply that quotes the last user message, one word at a time at a fixed pace. It is not a language model,
 * and the model lists say so.
 * <p>
 * It honours what a client asks of the reply's shape rather than ignoring it: a {@code tool_choice} that
 * requires a call (or names a function) gets a call of that tool, with arguments that fit its schema, and a
 * {@code response_format} of {@code json_object} or {@code json_schema} gets JSON text (fitting the schema).
 * Tools left to {@code auto} get the usual text, which says what a real model would have been offered. What it
 * cannot simulate it refuses by name, as another provider's protocol would: a reasoning effort (it does not reason),
 * more than one choice, and the parameters and content parts only an OpenAI-compatible provider takes (see
 * {@link OpenAiOnly}). Sampling parameters are taken as they are: the simulator's reply is the same at any.
 */
public final class DemoProviderClient implements ProviderClient {

    private static final int QUOTE_LIMIT = 120;
    private static final String PROTOCOL = "The demo simulator";

    private final Duration tokenInterval;

    public DemoProviderClient(Duration tokenInterval) {
        this.tokenInterval = tokenInterval;
    }

    @Override
    public Flux<ChatChunk> stream(UpstreamCall call) {
        ChatRequest request = call.request();
        try {
            OpenAiOnly.refuse(request, PROTOCOL);
        }
        catch (UpstreamException.Unsupported unsupported) {
            return Flux.error(unsupported);
        }
        if (request.reply().reasoningEffort() != null) {
            return Flux.error(OpenAiOnly.unsupported("reasoning_effort", PROTOCOL + " does not reason"));
        }
        ToolChoice choice = request.toolUse().choice();
        if (choice != null && choice.mode() == ToolChoice.Mode.FUNCTION
                && request.toolUse().definitions().stream().noneMatch(offered -> offered.name().equals(choice.function()))) {
            // The client's mistake, as a provider would see it: a 400 that is not tried elsewhere.
            return Flux.error(new UpstreamException.Rejected(400, "tool_choice names the function '" + choice.function()
                    + "', which is not among the request's tools"));
        }
        ToolDefinition tool = requiredTool(request);
        if (tool != null) {
            return toolCall(request, tool);
        }
        List<String> tokens = tokenize(isJson(request.reply().format()) ? jsonReply(request)
                : reply(request.messages()) + offeredTools(request));
        Integer maxTokens = request.reply().maxTokens();
        int count = maxTokens == null ? tokens.size() : Math.min(maxTokens, tokens.size());
        FinishReason finish = count < tokens.size() ? FinishReason.LENGTH : FinishReason.STOP;
        ChatChunk.Usage usage = new ChatChunk.Usage(estimateTokens(call.request().messages()), count);
        Flux<ChatChunk> text = Flux.interval(tokenInterval)
                .take(count)
                .map(i -> new ChatChunk.TextDelta(tokens.get(i.intValue())));
        return text.concatWith(Flux.just(new ChatChunk.Finish(finish), usage));
    }

    /** The tool the request obliges the model to call, or {@code null} when a text reply will do. */
    private static ToolDefinition requiredTool(ChatRequest request) {
        ToolChoice choice = request.toolUse().choice();
        List<ToolDefinition> tools = request.toolUse().definitions();
        if (choice == null || tools.isEmpty()) {
            return null;
        }
        if (choice.mode() == ToolChoice.Mode.REQUIRED) {
            return tools.get(0);
        }
        if (choice.mode() == ToolChoice.Mode.FUNCTION) {
            return tools.stream().filter(tool -> tool.name().equals(choice.function())).findFirst().orElseThrow();
        }
        return null;
    }

    /** One call of the tool, its arguments a sample of its parameters' schema, after one token's pause. */
    private Flux<ChatChunk> toolCall(ChatRequest request, ToolDefinition tool) {
        String arguments = JsonSample.of(tool.parameters()).toString();
        ChatChunk.Usage usage = new ChatChunk.Usage(estimateTokens(request.messages()), Math.max(1, arguments.length() / 4));
        return Flux.<ChatChunk>just(new ChatChunk.ToolCallDelta(0, "call_demo_0", tool.name(), arguments),
                        new ChatChunk.Finish(FinishReason.TOOL_CALLS), usage)
                .delaySubscription(tokenInterval);
    }

    private static boolean isJson(ResponseFormat format) {
        return format != null && ("json_object".equals(format.type()) || "json_schema".equals(format.type()));
    }

    /**
     * JSON text for a JSON mode: a sample of the schema for {@code json_schema}, else an object that carries
     * the usual reply, so a client that parses it finds valid JSON either way.
     */
    static String jsonReply(ChatRequest request) {
        ResponseFormat format = request.reply().format();
        if ("json_schema".equals(format.type()) && format.jsonSchema() != null
                && format.jsonSchema().path("schema").isObject()) {
            return JsonSample.of(format.jsonSchema().path("schema")).toString();
        }
        ObjectNode reply = JsonSample.FACTORY.objectNode();
        reply.put("reply", reply(request.messages()));
        return reply.toString();
    }

    private static String offeredTools(ChatRequest request) {
        List<ToolDefinition> tools = request.toolUse().definitions();
        if (tools.isEmpty()) {
            return "";
        }
        return " A real model would have been offered these tools: "
                + String.join(", ", tools.stream().map(ToolDefinition::name).toList())
                + "; set tool_choice to \"required\" or name one to get a simulated call.";
    }

    static String reply(List<ChatMessage> messages) {
        String question = lastUserMessage(messages).strip().replaceAll("\\s+", " ");
        if (question.length() > QUOTE_LIMIT) {
            question = question.substring(0, QUOTE_LIMIT) + "…";
        }
        return "Hello! This is Sluice's demo provider, a local simulator rather than a language model. "
                + (question.isEmpty() ? "" : "You said: \"" + question + "\". ")
                + "Streaming, cancellation and the APIs all work as they will with a real provider; "
                + "configure one under sluice.providers to get real answers.";
    }

    private static String lastUserMessage(List<ChatMessage> messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            ChatMessage message = messages.get(i);
            if (message.role() == Role.USER && message.content() != null) {
                return message.content();
            }
        }
        return "";
    }

    /** Splits into words, each keeping its leading space, the way real tokenizers stream text. */
    static List<String> tokenize(String text) {
        List<String> tokens = new ArrayList<>();
        int start = 0;
        for (int i = 1; i < text.length(); i++) {
            if (text.charAt(i) == ' ') {
                tokens.add(text.substring(start, i));
                start = i;
            }
        }
        tokens.add(text.substring(start));
        return tokens;
    }

    /** About four characters a token, the usual rule of thumb for English. */
    private static int estimateTokens(List<ChatMessage> messages) {
        int chars = 0;
        for (ChatMessage message : messages) {
            chars += message.content() == null ? 0 : message.content().length();
        }
        return Math.max(1, chars / 4);
    }
}
