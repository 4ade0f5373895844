package dev.sluice.gateway.accesslog;

import dev.sluice.gateway.llm.ChatMessage;
import dev.sluice.gateway.llm.ChatRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpResponse;
import reactor.core.publisher.SignalType;
import reactor.util.context.ContextView;

/**
 * One line per request on the logger {@code sluice.access}, when the request ends: method, path, status,
 * duration, and for chats the model asked for, the {@code provider/model} that served, the time to first
 * token and the tokens; the request id and the caller's id as MDC fields. Never a header, a query string,
 * a credential or a prompt: prompts go to the logger {@code sluice.prompts}, at DEBUG only. Probes and
 * scrapes ({@code /health}, {@code /ready}, {@code /actuator/**}) are logged at DEBUG, not to drown the rest.
 */
public final class AccessLog {

    private static final Logger ACCESS = LoggerFactory.getLogger("sluice.access");
    private static final Logger PROMPTS = LoggerFactory.getLogger("sluice.prompts");
    private static final int PROMPT_LOG_LIMIT = 4000;

    private AccessLog() {
    }

    /**
     * Tells the access record of the HTTP request this Reactor context belongs to that it is a chat: the line and
     * the request metrics read {@code chat} when the request ends (the model, who served, the first token and the
     * usage). The prompt goes to {@code sluice.prompts} at DEBUG. Outside an HTTP request (no record in the context),
     * nothing happens.
     */
    public static void chat(ContextView context, ChatRequest request, AccessRecord.Chat chat) {
        AccessRecord record = context.getOrDefault(RequestLogContext.KEY, null);
        if (record == null) {
            return;
        }
        record.chat(chat);
        if (PROMPTS.isDebugEnabled()) {
            logPrompt(record, request);
        }
    }

    /**
     * The same for an embeddings request, which the line and the metrics tell as they tell a chat (with no first
     * token and no output tokens). Its input is not logged: it is data to index rather than a prompt to debug.
     */
    public static void embeddings(ContextView context, AccessRecord.Chat embeddings) {
        AccessRecord record = context.getOrDefault(RequestLogContext.KEY, null);
        if (record != null) {
            record.chat(embeddings);
        }
    }

    static void write(AccessRecord record, ServerHttpResponse response, SignalType signal) {
        boolean probe = isProbe(record.path());
        if (probe ? !ACCESS.isDebugEnabled() : !ACCESS.isInfoEnabled()) {
            return;
        }
        long durationMillis = (System.nanoTime() - record.startedAt()) / 1_000_000;
        HttpStatusCode code = response.getStatusCode();
        int status = code == null ? 200 : code.value();
        String outcome = signal == SignalType.CANCEL ? "cancelled" : signal == SignalType.ON_ERROR ? "failed" : "completed";
        StringBuilder message = new StringBuilder(160).append(record.method()).append(' ').append(record.path())
                .append(' ').append(status).append(' ').append(durationMillis).append(" ms");
        LoggingEventBuilder line = (probe ? ACCESS.atDebug() : ACCESS.atInfo())
                .addKeyValue("method", record.method())
                .addKeyValue("path", record.path())
                .addKeyValue("status", status)
                .addKeyValue("duration_ms", durationMillis)
                .addKeyValue("outcome", outcome);
        if (!"completed".equals(outcome)) {
            message.append(' ').append(outcome);
        }
        String model = record.model();
        if (model != null) {
            String provider = record.provider();
            long firstToken = record.timeToFirstToken();
            message.append(", model ").append(model);
            line = line.addKeyValue("model", model);
            if (provider != null) {
                message.append(" via ").append(provider);
                line = line.addKeyValue("provider", provider);
            }
            if (firstToken >= 0) {
                long firstTokenMillis = firstToken / 1_000_000;
                message.append(", first token ").append(firstTokenMillis).append(" ms");
                line = line.addKeyValue("ttft_ms", firstTokenMillis);
            }
            if (record.promptTokens() >= 0) {
                message.append(", tokens ").append(record.promptTokens()).append(" in ").append(record.completionTokens()).append(" out");
                line = line.addKeyValue("prompt_tokens", record.promptTokens())
                        .addKeyValue("completion_tokens", record.completionTokens());
            }
        }
        RequestLogContext.log(record, line.setMessage(message.toString())::log);
    }

    private static void logPrompt(AccessRecord record, ChatRequest request) {
        StringBuilder prompt = new StringBuilder();
        for (ChatMessage message : request.messages()) {
            if (prompt.length() >= PROMPT_LOG_LIMIT) {
                break;
            }
            prompt.append(message.role()).append(": ").append(message.content()).append('\n');
        }
        if (prompt.length() > PROMPT_LOG_LIMIT) {
            prompt.setLength(PROMPT_LOG_LIMIT);
            prompt.append("…");
        }
        String text = "Prompt for " + request.model() + ":\n" + prompt;
        RequestLogContext.log(record, () -> PROMPTS.debug(text));
    }

    static boolean isProbe(String path) {
        return path.startsWith("/actuator/") || path.equals("/health") || path.equals("/ready");
    }
}
