package dev.sluice.gateway.accesslog;

import java.util.Map;
import java.util.UUID;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.routing.RouteTrace;
import dev.sluice.gateway.routing.Target;

/**
 * What the access log and the request metrics say about one request, filled in as the request goes: its id and caller
 * once the filters know them, the exchange's attributes (the route pattern, a handled error), the model, who served
 * it, the time to first token and the tokens once it is a chat.
 * Written by the request's own signals, which are serialised, and read once when it ends.
 */
public final class AccessRecord {

    private final String method;
    private final String path;
    private final long startedAt;
    private volatile String requestId;
    private volatile UUID userId;
    private volatile Map<String, Object> attributes;
    private volatile Throwable failure;
    private volatile String model;
    private volatile String metricModel;
    private volatile RouteTrace trace;
    private volatile long firstTokenAt;
    private volatile int promptTokens = -1;
    private volatile int completionTokens = -1;

    AccessRecord(String method, String path, long startedAt) {
        this.method = method;
        this.path = path;
        this.startedAt = startedAt;
    }

    void requestId(String id) {
        this.requestId = id;
    }

    void userId(UUID id) {
        this.userId = id;
    }

    void attributes(Map<String, Object> exchangeAttributes) {
        this.attributes = exchangeAttributes;
    }

    void failed(Throwable error) {
        this.failure = error;
    }

    void chat(String requestedModel, String modelTag, RouteTrace routeTrace) {
        this.model = requestedModel;
        this.metricModel = modelTag;
        this.trace = routeTrace;
    }

    /** Notes the first token's time and the usage, from a chunk of the reply. */
    void observe(ChatChunk chunk) {
        if (firstTokenAt == 0 && (chunk instanceof ChatChunk.TextDelta || chunk instanceof ChatChunk.ToolCallDelta)) {
            firstTokenAt = System.nanoTime();
        }
        else if (chunk instanceof ChatChunk.Usage usage) {
            promptTokens = usage.promptTokens();
            completionTokens = usage.completionTokens();
        }
    }

    String method() {
        return method;
    }

    String path() {
        return path;
    }

    long startedAt() {
        return startedAt;
    }

    String requestId() {
        return requestId;
    }

    UUID userId() {
        return userId;
    }

    /** The exchange's attributes, or {@code null} if the request never reached the filters. */
    Map<String, Object> attributes() {
        return attributes;
    }

    /** What the handler failed with, when the failure reached the server. */
    Throwable failure() {
        return failure;
    }

    String model() {
        return model;
    }

    /** The request metrics' model tag; {@code null} for other requests and chats refused before their model was found. */
    String metricModel() {
        return metricModel;
    }

    /** {@code provider/model} that served (or was last tried), or {@code null}. */
    String provider() {
        RouteTrace current = trace;
        Target target = current == null ? null : current.servedBy();
        return target == null ? null : target.toString();
    }

    /** Nanoseconds from the start of the request to its first token, or -1 without one. */
    long timeToFirstToken() {
        long at = firstTokenAt;
        return at == 0 ? -1 : at - startedAt;
    }

    int promptTokens() {
        return promptTokens;
    }

    int completionTokens() {
        return completionTokens;
    }
}
