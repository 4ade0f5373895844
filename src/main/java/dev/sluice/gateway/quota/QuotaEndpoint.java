package dev.sluice.gateway.quota;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.budget.Budgets;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import dev.sluice.gateway.web.JsonBody;
import dev.sluice.gateway.web.MethodNotAllowed;
import dev.sluice.gateway.web.Page;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * {@code GET /api/v1/quota} for every caller (its quotas and its USD budgets); for admins {@code GET /api/v1/admin/usage} (everyone's usage on one
 * day, a page at a time) and {@code PUT /api/v1/admin/users/{id}/quota} (one user's own limits).
 */
@Configuration(proxyBeanMethods = false)
class QuotaEndpoint {

    private static final String QUOTA = "/api/v1/quota";
    private static final String USAGE = "/api/v1/admin/usage";
    private static final String USER_QUOTA = "/api/v1/admin/users/{id}/quota";
    private static final int DEFAULT_PAGE = 50;
    private static final int MAX_PAGE = 200;

    private final DailyQuota quota;
    private final Budgets budgets;
    private final QuotaLedger ledger;
    private final JsonBody body;

    QuotaEndpoint(DailyQuota quota, Budgets budgets, QuotaLedger ledger, JsonBody body) {
        this.quota = quota;
        this.budgets = budgets;
        this.ledger = ledger;
        this.body = body;
    }

    @Bean
    RouterFunction<ServerResponse> quotaRoutes() {
        return RouterFunctions.route()
                .GET(QUOTA, this::ownQuota)
                .GET(USAGE, this::usage)
                .PUT(USER_QUOTA, this::setLimits)
                .add(MethodNotAllowed.otherThan(HttpMethod.GET, QUOTA))
                .add(MethodNotAllowed.otherThan(HttpMethod.GET, USAGE))
                .add(MethodNotAllowed.otherThan(HttpMethod.PUT, USER_QUOTA))
                .build();
    }

    private Mono<ServerResponse> ownQuota(ServerRequest request) {
        return Caller.current()
                .defaultIfEmpty(Caller.ANONYMOUS)
                .flatMap(caller -> quota.status(caller.id())
                        .switchIfEmpty(Mono.error(() -> new GatewayException(ErrorCode.UNAUTHORIZED, "This account no longer exists")))
                        .zipWith(budgets.status(caller), QuotaStatus::withBudgets))
                .flatMap(status -> ServerResponse.ok().bodyValue(status));
    }

    private Mono<ServerResponse> usage(ServerRequest request) {
        // Admins first: a non-admin learns nothing, not even that a parameter is wrong.
        return Caller.currentAdmin()
                .then(Mono.fromCallable(() -> UsageQuery.of(request, quota.today())))
                .flatMap(query -> ledger.usageOn(query.day(), query.before(), query.limit() + 1)
                        .map(QuotaEndpoint::usageItem)
                        .collectList()
                        .map(rows -> page(rows, query.limit())))
                .flatMap(page -> ServerResponse.ok().bodyValue(page));
    }

    private Mono<ServerResponse> setLimits(ServerRequest request) {
        UUID user;
        try {
            user = UUID.fromString(request.pathVariable("id"));
        }
        catch (IllegalArgumentException notAnId) {
            return Caller.currentAdmin().then(Mono.error(QuotaEndpoint::noSuchUser));
        }
        return Caller.currentAdmin()
                .then(body.read(request, QuotaLimits.class))
                .map(QuotaLimits::validated)
                .flatMap(limits -> ledger.setLimits(user, limits.dailyRequests(), limits.dailyTokens())
                        .filter(found -> found)
                        .switchIfEmpty(Mono.error(QuotaEndpoint::noSuchUser))
                        .doOnNext(found -> quota.limitsChanged(user))
                        .then(ledger.usage(user, quota.today()))
                        .flatMap(usage -> ServerResponse.ok().bodyValue(limitsView(user, limits, usage))));
    }


    private static Page<Map<String, Object>> page(List<Map<String, Object>> rows, int limit) {
        if (rows.size() <= limit) {
            return Page.of(rows);
        }
        List<Map<String, Object>> items = rows.subList(0, limit);
        return new Page<>(items, items.get(limit - 1).get("user_id").toString());
    }

    private static Map<String, Object> usageItem(QuotaLedger.UserUsage usage) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("user_id", usage.userId());
        item.put("email", usage.email());
        item.put("requests", usage.requests());
        item.put("tokens", usage.tokens());
        item.put("reserved_tokens", usage.reservedTokens());
        return item;
    }

    /** What is stored ({@code null}: the default) and what is in force. */
    private static Map<String, Object> limitsView(UUID user, QuotaLimits limits, QuotaLedger.DailyUsage usage) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("user_id", user);
        view.put("daily_requests", limits.dailyRequests());
        view.put("daily_tokens", limits.dailyTokens());
        view.put("effective", Map.of("daily_requests", usage.requestLimit(), "daily_tokens", usage.tokenLimit()));
        return view;
    }

    /** {@code ?date=YYYY-MM-DD} (default today), {@code limit} (page size), {@code before} (the cursor). */
    private record UsageQuery(LocalDate day, UUID before, int limit) {

        static UsageQuery of(ServerRequest request, LocalDate today) {
            return new UsageQuery(request.queryParam("date").map(UsageQuery::date).orElse(today),
                    request.queryParam("before").map(UsageQuery::cursor).orElse(null),
                    request.queryParam("limit").map(UsageQuery::pageSize).orElse(DEFAULT_PAGE));
        }

        private static LocalDate date(String text) {
            try {
                return LocalDate.parse(text);
            }
            catch (DateTimeParseException notADate) {
                throw GatewayException.invalid("date", "must be a day as YYYY-MM-DD");
            }
        }

        private static UUID cursor(String text) {
            try {
                return UUID.fromString(text);
            }
            catch (IllegalArgumentException notAnId) {
                throw GatewayException.invalid("before", "is not a cursor from this list");
            }
        }

        private static int pageSize(String text) {
            try {
                int size = Integer.parseInt(text);
                if (size >= 1 && size <= MAX_PAGE) {
                    return size;
                }
            }
            catch (NumberFormatException notANumber) {
                // the same answer as a number out of range
            }
            throw GatewayException.invalid("limit", "must be a whole number from 1 to " + MAX_PAGE);
        }
    }

    private static GatewayException noSuchUser() {
        return new GatewayException(ErrorCode.NOT_FOUND, "No such user");
    }
}
