package dev.sluice.gateway.accesslog;

import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

import org.slf4j.MDC;
import reactor.util.context.ContextView;

/**
 * The request id and the caller's id of a request in the logging MDC ({@code request_id}, {@code user_id}; in
 * {@code prod}'s JSON lines as fields), for the lines written while serving it: the access line, prompts, and
 * the warnings and failures of a request.
 * <p>
 * Only around those lines, from the {@link AccessRecord} that {@link AccessLogConfiguration} puts into the
 * request's Reactor context. Restoring thread-locals at every hop between threads (Reactor's automatic context
 * propagation) would cost every request, at every operator, what a few log lines need.
 */
public final class RequestLogContext {

    /** The Reactor context key of the request's {@link AccessRecord}. */
    public static final String KEY = "sluice.request";
    public static final String REQUEST_ID = "request_id";
    public static final String USER_ID = "user_id";

    private RequestLogContext() {
    }

    /**
     * The request this Reactor context belongs to has the id {@code requestId}; its exchange's {@code attributes} will
     * tell the request metrics its route pattern. Outside a request, nothing happens.
     */
    public static void exchange(ContextView context, String requestId, Map<String, Object> attributes) {
        AccessRecord record = context.getOrDefault(KEY, null);
        if (record != null) {
            record.requestId(requestId);
            record.attributes(attributes);
        }
    }

    /** The request this Reactor context belongs to is made by the account {@code userId}. */
    public static void caller(ContextView context, UUID userId) {
        AccessRecord record = context.getOrDefault(KEY, null);
        if (record != null) {
            record.userId(userId);
        }
    }

    /** Logs with the ids of the request this Reactor context belongs to; plainly outside a request. */
    public static void log(ContextView context, Runnable log) {
        AccessRecord record = context.getOrDefault(KEY, null);
        if (record == null) {
            log.run();
        }
        else {
            log(record, log);
        }
    }

    /** Computes {@code action}, which may log, with the ids of the request this Reactor context belongs to. */
    public static <T> T withIds(ContextView context, Supplier<T> action) {
        AccessRecord record = context.getOrDefault(KEY, null);
        return record == null ? action.get() : withIds(record, action);
    }

    static void log(AccessRecord record, Runnable log) {
        withIds(record, () -> {
            log.run();
            return null;
        });
    }

    static <T> T withIds(AccessRecord record, Supplier<T> action) {
        String previousRequest = MDC.get(REQUEST_ID);
        String previousUser = MDC.get(USER_ID);
        UUID user = record.userId();
        putOrRemove(REQUEST_ID, record.requestId());
        putOrRemove(USER_ID, user == null ? null : user.toString());
        try {
            return action.get();
        }
        finally {
            putOrRemove(REQUEST_ID, previousRequest);
            putOrRemove(USER_ID, previousUser);
        }
    }

    private static void putOrRemove(String key, String value) {
        if (value == null) {
            MDC.remove(key);
        }
        else {
            MDC.put(key, value);
        }
    }
}
