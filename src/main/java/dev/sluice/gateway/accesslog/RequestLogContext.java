package dev.sluice.gateway.accesslog;

import java.util.UUID;

import io.micrometer.context.ThreadLocalAccessor;
import org.slf4j.MDC;

/**
 * Puts the request id and the caller's id of the request being served into the logging MDC
 * ({@code request_id}, {@code user_id}), so that every log line written while serving it carries them (in
 * {@code prod}'s JSON lines as fields). Reactor moves a request between threads: with
 * {@code spring.reactor.context-propagation=auto} (set in {@code prod}) Reactor restores this from the
 * request's Reactor context, where {@link AccessLogConfiguration} puts its {@link AccessRecord}, at each hop.
 * Registered with Micrometer's {@code ContextRegistry} through {@code META-INF/services}.
 */
public final class RequestLogContext implements ThreadLocalAccessor<AccessRecord> {

    /** The Reactor context key of the request's {@link AccessRecord}. */
    public static final String KEY = "sluice.request";
    public static final String REQUEST_ID = "request_id";
    public static final String USER_ID = "user_id";

    private static final ThreadLocal<AccessRecord> CURRENT = new ThreadLocal<>();

    @Override
    public Object key() {
        return KEY;
    }

    @Override
    public AccessRecord getValue() {
        return CURRENT.get();
    }

    @Override
    public void setValue(AccessRecord record) {
        CURRENT.set(record);
        put(record);
    }

    @Override
    public void setValue() {
        CURRENT.remove();
        MDC.remove(REQUEST_ID);
        MDC.remove(USER_ID);
    }

    static void put(AccessRecord record) {
        putOrRemove(REQUEST_ID, record.requestId());
        UUID user = record.userId();
        putOrRemove(USER_ID, user == null ? null : user.toString());
    }

    static void putOrRemove(String key, String value) {
        if (value == null) {
            MDC.remove(key);
        }
        else {
            MDC.put(key, value);
        }
    }
}
