package dev.sluice.gateway.budget;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import dev.sluice.gateway.web.JsonBody;
import dev.sluice.gateway.web.MethodNotAllowed;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * For admins: {@code PUT /api/v1/admin/users/{id}/budget} {@code {daily_usd, monthly_usd}} sets one user's own
 * budgets ({@code null}: back to the default). The caller's budgets show in {@code GET /api/v1/quota}.
 */
@Configuration(proxyBeanMethods = false)
class BudgetEndpoint {

    private static final String USER_BUDGET = "/api/v1/admin/users/{id}/budget";

    private final Budgets budgets;
    private final BudgetLedger ledger;
    private final UserBudgets users;
    private final JsonBody body;

    BudgetEndpoint(Budgets budgets, BudgetLedger ledger, UserBudgets users, JsonBody body) {
        this.budgets = budgets;
        this.ledger = ledger;
        this.users = users;
        this.body = body;
    }

    @Bean
    RouterFunction<ServerResponse> budgetRoutes() {
        return RouterFunctions.route()
                .PUT(USER_BUDGET, this::setOwnBudget)
                .add(MethodNotAllowed.otherThan(HttpMethod.PUT, USER_BUDGET))
                .build();
    }

    private Mono<ServerResponse> setOwnBudget(ServerRequest request) {
        UUID user;
        try {
            user = UUID.fromString(request.pathVariable("id"));
        }
        catch (IllegalArgumentException notAnId) {
            return Caller.currentAdmin().then(Mono.error(BudgetEndpoint::noSuchUser));
        }
        return Caller.currentAdmin()
                .then(body.read(request, OwnBudgetRequest.class))
                .map(OwnBudgetRequest::validated)
                .flatMap(own -> ledger.setOwnBudget(user, own.dailyMicros(), own.monthlyMicros())
                        .filter(found -> found)
                        .switchIfEmpty(Mono.error(BudgetEndpoint::noSuchUser))
                        .then(budgets.ownBudgetChanged(user))
                        .then(ServerResponse.ok().bodyValue(view(user, own))));
    }

    /** What is stored ({@code null}: the default) and what is in force ({@code null}: no budget). */
    private Map<String, Object> view(UUID user, OwnBudgetRequest own) {
        Long daily = own.dailyMicros();
        Long monthly = own.monthlyMicros();
        Long effectiveDaily = daily != null ? daily : users.defaultMicros(BudgetPeriod.DAILY);
        Long effectiveMonthly = monthly != null ? monthly : users.defaultMicros(BudgetPeriod.MONTHLY);
        Map<String, Object> effective = new LinkedHashMap<>();
        effective.put("daily_usd", effectiveDaily == null ? null : Usd.ofMicros(effectiveDaily));
        effective.put("monthly_usd", effectiveMonthly == null ? null : Usd.ofMicros(effectiveMonthly));
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("user_id", user);
        view.put("daily_usd", daily == null ? null : Usd.ofMicros(daily));
        view.put("monthly_usd", monthly == null ? null : Usd.ofMicros(monthly));
        view.put("effective", effective);
        return view;
    }


    private static GatewayException noSuchUser() {
        return new GatewayException(ErrorCode.NOT_FOUND, "No such user");
    }
}
