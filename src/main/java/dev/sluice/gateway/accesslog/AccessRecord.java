package dev.sluice.gateway.accesslog;

import java.util.Map;
import java.util.UUID;

import dev.sluice.gateway.llm.ChatChunk;

/**
 * What the access log and the request metrics say about one request: its id and caller once the filters know them,
 * the exchange's attributes (the route pattern, a handled error), and for a chat what its {@link Chat} says once it
 * has ended. Written by the request's own signals and read once when it ends.
 */
public final class AccessRecord {

    private final String method;
    private final String path;
    private final long startedAt;
    private volatile String requestId;
    private volatile UUID userId;
    private volatile Map<String, Object> attributes;
    private volatile Chat chat;
    private volatile Throwable failure;

    AccessRecord(String method, String path, long startedAt) {
        this.method = method;
        this.path = path;
        this.startedAt = startedAt;
    }

    /**
     * What the access line and the request metrics say of a chat, or of another routed request (embeddings): the
     * request's own tally, read once the request has ended.
     */
    public interface Chat {

        /** The model name asked for. */
        String model();

        /** The model tag of the request metrics: the name when the configuration names it, else {@code other}. */
        String metricModel();

        /** The {@code provider/model} the request called (or tried last), or {@code null}. */
        String servedBy();

        /** {@link System#nanoTime()} of the reply's first token, or 0 without one. */
        long firstTokenAt();

        /** The usage the provider reported, or {@code null}. */
        ChatChunk.Usage usage();
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

    void chat(Chat chat) {
        this.chat = chat;
    }

    void failed(Throwable error) {
        this.failure = error;
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
        Chat current = chat;
        return current == null ? null : current.model();
    }

    /** The request metrics' model tag; {@code null} for other requests and chats refused before their model was found. */
    String metricModel() {
        Chat current = chat;
        return current == null ? null : current.metricModel();
    }

    /** {@code provider/model} that served (or was last tried), or {@code null}. */
    String provider() {
        Chat current = chat;
        return current == null ? null : current.servedBy();
    }

    /** Nanoseconds from the start of the request to its first token, or -1 without one. */
    long timeToFirstToken() {
        Chat current = chat;
        long at = current == null ? 0 : current.firstTokenAt();
        return at == 0 ? -1 : at - startedAt;
    }

    int promptTokens() {
        ChatChunk.Usage usage = usage();
        return usage == null ? -1 : usage.promptTokens();
    }

    int completionTokens() {
        ChatChunk.Usage usage = usage();
        return usage == null ? -1 : usage.completionTokens();
    }

    private ChatChunk.Usage usage() {
        Chat current = chat;
        return current == null ? null : current.usage();
    }
}
