package dev.sluice.gateway.spend;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.web.MethodNotAllowed;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * {@code GET /api/v1/usage}: the caller's own usage and spend over a range of days, by day, model or key; and for
 * admins the same across users on {@code GET /api/v1/admin/usage}, when it is asked with any of {@code from},
 * {@code to}, {@code group_by} or {@code user} (without them that route still answers the day's quota usage per
 * user, which the console's admin page reads). JSON, or CSV with {@code Accept: text/csv}.
 */
@Configuration(proxyBeanMethods = false)
class UsageEndpoint {

    private static final String OWN = "/api/v1/usage";
    private static final String ADMIN = "/api/v1/admin/usage";
    private static final MediaType CSV = new MediaType("text", "csv", StandardCharsets.UTF_8);

    private final UsageReports reports;

    UsageEndpoint(UsageReports reports) {
        this.reports = reports;
    }

    /** Ahead of the quota's routes, which answer {@code GET /api/v1/admin/usage} without report parameters. */
    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE)
    RouterFunction<ServerResponse> usageRoutes() {
        return RouterFunctions.route()
                .GET(OWN, this::own)
                .route(RequestPredicates.GET(ADMIN).and(UsageQuery::asked), this::admin)
                .add(MethodNotAllowed.otherThan(HttpMethod.GET, OWN))
                .build();
    }

    private Mono<ServerResponse> own(ServerRequest request) {
        return Caller.current()
                .map(Caller::id)
                .defaultIfEmpty(Caller.ANONYMOUS_ID)
                .map(user -> UsageQuery.own(request, user))
                .flatMap(reports::report)
                .flatMap(report -> respond(request, report));
    }

    private Mono<ServerResponse> admin(ServerRequest request) {
        // Admins first: a non-admin learns nothing, not even that a parameter is wrong.
        return Caller.currentAdmin()
                .map(admin -> UsageQuery.admin(request))
                .flatMap(reports::report)
                .flatMap(report -> respond(request, report));
    }

    private static Mono<ServerResponse> respond(ServerRequest request, UsageReports.Report report) {
        if (wantsCsv(request)) {
            return ServerResponse.ok().contentType(CSV).bodyValue(UsageCsv.of(report));
        }
        List<Map<String, Object>> items = new ArrayList<>(report.items().size());
        for (UsageReports.Line line : report.items()) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put(report.groupBy().wireName(), line.what() == null ? null : line.what().toString());
            if (report.groupBy().labelName != null) {
                item.put(report.groupBy().labelName, line.label());
            }
            items.add(counts(item, line));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("from", report.from().toString());
        body.put("to", report.to().toString());
        body.put("items", items);
        body.put("total", counts(new LinkedHashMap<>(), report.total()));
        body.put("truncated", report.truncated());
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(body);
    }

    private static Map<String, Object> counts(Map<String, Object> item, UsageReports.Line line) {
        item.put("requests", line.requests());
        item.put("input_tokens", line.inputTokens());
        item.put("output_tokens", line.outputTokens());
        item.put("cost_usd", line.costUsd());
        item.put("unpriced", line.unpriced());
        item.put("estimated", line.estimated());
        return item;
    }

    private static boolean wantsCsv(ServerRequest request) {
        for (MediaType accepted : request.headers().accept()) {
            if (accepted.isCompatibleWith(CSV) && !accepted.isWildcardType()) {
                return true;
            }
        }
        return false;
    }
}
