package dev.sluice.gateway.accesslog;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.server.handler.ExceptionHandlingWebHandler;
import org.springframework.web.util.pattern.PathPattern;
import reactor.core.publisher.SignalType;

/**
 * {@code http.server.requests}, timed once per request from its {@link AccessRecord} when the response has ended,
 * and {@code http.server.requests.active}, the requests in progress: the meters, tags and values Spring's server
 * observation gives them ({@code method}, {@code uri} the route pattern, {@code status}, {@code outcome},
 * {@code exception}, {@code error}), plus {@code model}: the alias or {@code provider/model} a chat asked for when the
 * configuration names it, {@code other} for any other name a provider's {@code "*"} let through, and {@code none} for
 * other requests and for chats refused before their model was found. Every tag's values are bounded by the
 * configuration and the routes, whatever callers send.
 * <p>
 * Spring's observations are switched off ({@code application.yml}): building an observation of each request, and of
 * each of Spring Security's filters, cost every request more than this one timer.
 */
final class RequestMetrics {

    static final String REQUESTS = "http.server.requests";
    private static final String NONE = "none";
    private static final String UNKNOWN = "UNKNOWN";
    private static final Set<String> METHODS = Arrays.stream(HttpMethod.values()).map(HttpMethod::name)
            .collect(Collectors.toUnmodifiableSet());
    /** More tag combinations than routes × statuses × models ever make: past it, meters are looked up, not kept. */
    private static final int MAX_KEPT = 4096;

    private final MeterRegistry registry;
    private final Map<Key, Timer> timers = new ConcurrentHashMap<>();
    private final Map<Key, LongTaskTimer> active = new ConcurrentHashMap<>();

    RequestMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** A request starts: it is in progress until the sample is stopped. */
    LongTaskTimer.Sample started(String method, ServerHttpResponse response) {
        HttpStatusCode status = response.getStatusCode();
        Key key = new Key(method(method), UNKNOWN, status(status, false, response), outcome(status, false), NONE, null,
                NONE);
        LongTaskTimer timer = active.get(key);
        if (timer == null) {
            timer = LongTaskTimer.builder(REQUESTS + ".active").tags(key.tags(false)).register(registry);
            keep(active, key, timer);
        }
        return timer.start();
    }

    /** The request has ended, with {@code signal}: it is timed from its start. */
    void ended(AccessRecord record, ServerHttpResponse response, SignalType signal) {
        long nanos = System.nanoTime() - record.startedAt();
        boolean aborted = signal == SignalType.CANCEL;
        Map<String, Object> attributes = record.attributes();
        Throwable error = aborted ? null : record.failure();
        if (error == null && signal == SignalType.ON_COMPLETE && attributes != null) {
            error = (Throwable) attributes.get(ExceptionHandlingWebHandler.HANDLED_WEB_EXCEPTION);
        }
        HttpStatusCode status = response.getStatusCode();
        String model = record.metricModel();
        Key key = new Key(method(record.method()), uri(attributes, status), status(status, aborted, response),
                outcome(status, aborted), exception(error), error == null ? NONE : error.getClass().getSimpleName(),
                model == null ? NONE : model);
        Timer timer = timers.get(key);
        if (timer == null) {
            timer = Timer.builder(REQUESTS).tags(key.tags(true)).register(registry);
            keep(timers, key, timer);
        }
        timer.record(nanos, TimeUnit.NANOSECONDS);
    }

    private static <M> void keep(Map<Key, M> meters, Key key, M meter) {
        if (meters.size() < MAX_KEPT) {
            meters.putIfAbsent(key, meter);
        }
    }

    private static String method(String method) {
        return METHODS.contains(method) ? method : UNKNOWN;
    }

    /** The route pattern; without one, what the status says of the path, never the path itself. */
    private static String uri(Map<String, Object> attributes, HttpStatusCode status) {
        Object pattern = attributes == null ? null : attributes.get(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
        if (pattern instanceof PathPattern matched) {
            String text = matched.getPatternString();
            return text.isEmpty() ? "root" : text;
        }
        HttpStatus known = status == null ? null : HttpStatus.resolve(status.value());
        if (known != null && known.is3xxRedirection()) {
            return "REDIRECTION";
        }
        return known == HttpStatus.NOT_FOUND ? "NOT_FOUND" : UNKNOWN;
    }

    /** The status sent; unknown when the client went away before anything was. */
    private static String status(HttpStatusCode status, boolean aborted, ServerHttpResponse response) {
        if (aborted && !response.isCommitted() || status == null) {
            return UNKNOWN;
        }
        return Integer.toString(status.value());
    }

    private static String outcome(HttpStatusCode status, boolean aborted) {
        if (aborted || status == null) {
            return UNKNOWN;
        }
        if (status.is2xxSuccessful()) {
            return "SUCCESS";
        }
        return status instanceof HttpStatus known ? known.series().name() : UNKNOWN;
    }

    private static String exception(Throwable error) {
        if (error == null) {
            return NONE;
        }
        String name = error.getClass().getSimpleName();
        return name.isEmpty() ? error.getClass().getName() : name;
    }

    /** One combination of tag values; {@code error} is {@code http.server.requests}' alone. */
    private record Key(String method, String uri, String status, String outcome, String exception, String error,
            String model) {

        Tags tags(boolean withError) {
            Tags tags = Tags.of("method", method, "uri", uri, "status", status, "outcome", outcome,
                    "exception", exception, "model", model);
            return withError ? tags.and("error", error) : tags;
        }
    }
}
