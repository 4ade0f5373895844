package dev.sluice.gateway.budget;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.auth.KeyScope;
import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.ChatRequest;
import dev.sluice.gateway.llm.TokenEstimate;
import dev.sluice.gateway.routing.Route;
import dev.sluice.gateway.spend.CallCost;
import dev.sluice.gateway.spend.CallCosts;
import dev.sluice.gateway.spend.MeteredCall;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import dev.sluice.gateway.web.LimitExceeded;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataIntegrityViolationException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * USD budgets, enforced like the token quota: before a call goes upstream, its worst-case cost is held on every budget
 * that applies to it (its user's daily and monthly ones, its API key's, and those of the end user it names), each with
 * one conditional UPDATE, so that replicas together never let spending past a budget; when the call ends, however it
 * ends, each hold is settled to the real cost. A call any budget has no room for gets a 429 naming that budget, with
 * {@code Retry-After} until its period ends. No budget for the caller: the call as it is, no lookup, no database
 * round trip.
 * <p>
 * The worst case is the estimated prompt at the input price plus the reply cap at the output price, at the dearest
 * target of the route, since which one serves is known only once the call is made. The reply cap is the request's
 * own ({@code max_tokens}, {@code max_completion_tokens}, times {@code n}; the quota, which runs first, has already
 * cut it to what it reserved), else {@code reply-allowance}, which is then sent upstream as its cap. A target without
 * a price counts as free here: its calls are not stopped by budgets, and show up as unpriced in the spend metrics.
 * <p>
 * The real cost is exactly what spend records for the call, worked out once ({@link CallCosts}): the provider's
 * reported usage (cached prompt tokens at their own price) at the price of the target that served, else Sluice's
 * estimate; nothing when no call of its own was made (refused early, or a reply from the cache) or the target that
 * served has no price.
 * <p>
 * While the database cannot answer, budgets fail closed beyond a small allowance per replica ({@link BudgetStoreOutage}).
 * A replica that dies with calls in flight leaves their worst cases held in the period's row until the period ends:
 * the budget then refuses early, never late.
 */
public class Budgets {

    /** Long enough for a pool to reconnect, short enough that a client does not give up. */
    private static final Duration STORE_RETRY_AFTER = Duration.ofSeconds(5);

    private final BudgetLedger ledger;
    private final BudgetSettlements settlements;
    private final UserBudgets users;
    private final EndUserBudgets endUsers;
    private final CallPrices prices;
    private final CallCosts costs;
    private final BudgetProperties properties;
    private final BudgetStoreOutage outage;
    private final Clock clock;
    private final MeterRegistry registry;
    private volatile Consumer<UUID> ownBudgetChanges = user -> { };

    Budgets(BudgetLedger ledger, BudgetSettlements settlements, UserBudgets users, EndUserBudgets endUsers,
            CallPrices prices, CallCosts costs, BudgetProperties properties, Clock clock, MeterRegistry registry) {
        this.ledger = ledger;
        this.settlements = settlements;
        this.users = users;
        this.endUsers = endUsers;
        this.prices = prices;
        this.costs = costs;
        this.properties = properties;
        this.clock = clock;
        this.registry = registry;
        this.outage = new BudgetStoreOutage(Usd.toMicros(properties.outageAllowanceUsd()), clock, registry);
        // Registered up front, so that an alert on them has a series from the start.
        for (Budget.Scope scope : Budget.Scope.values()) {
            for (BudgetPeriod period : BudgetPeriod.values()) {
                rejections(scope, period);
                pastAlert(scope, period);
            }
        }
    }

    /**
     * The chat's reply, within the caller's budgets: {@code reply} is called with the request (capped to the reply
     * priced into the hold when it set no cap) only once every budget has room for its worst case at {@code route},
     * and each hold is settled to what {@code call} cost ({@link CallCosts}) when the reply ends.
     */
    public Flux<ChatChunk> meter(MeteredCall call, Route route, ChatRequest request,
            Function<ChatRequest, Flux<ChatChunk>> reply) {
        List<Budget> budgets = applicable(call.caller(), call.endUser());
        if (budgets.isEmpty()) {
            return Flux.defer(() -> reply.apply(request));
        }
        Integer maxTokens = request.reply().maxTokens();
        ChatRequest capped = maxTokens == null ? request.withMaxTokens(properties.replyAllowance()) : request;
        long replyCap = (long) capped.reply().maxTokens() * request.reply().choiceCount();
        return held(budgets, prices.worstCase(route, TokenEstimate.input(request), replyCap), call, () -> reply.apply(capped));
    }

    /**
     * A reply that is not a chat and costs its input alone (embeddings), within the caller's budgets the same way:
     * {@code inputTokens} are priced at the dearest target of {@code route}, and settled to what {@code call} cost.
     */
    public <T> Flux<T> meter(MeteredCall call, Route route, long inputTokens, Supplier<Flux<T>> reply) {
        List<Budget> budgets = applicable(call.caller(), call.endUser());
        if (budgets.isEmpty()) {
            return Flux.defer(reply);
        }
        return held(budgets, prices.worstCase(route, inputTokens, 0), call, reply);
    }

    /**
     * The budgets that apply to a call by {@code caller} for {@code endUser} ({@code null}: none named), the one place
     * that decides them: its user's daily and monthly budgets in force, the budget of the API key it called with, if
     * the key's scope sets one, and the end user's budgets ({@code sluice.budgets.per-end-user}).
     */
    List<Budget> applicable(Caller caller, String endUser) {
        KeyScope scope = caller.scope();
        boolean keyBudget = scope.budgetUsd() != null && caller.apiKeyId() != null;
        boolean endUserBudgets = endUser != null && !endUsers.none();
        if (users.none() && !keyBudget && !endUserBudgets) {
            return List.of();
        }
        List<Budget> budgets = new ArrayList<>(5);
        users.addTo(budgets, caller.id());
        if (keyBudget) {
            budgets.add(new Budget(Budget.Scope.KEY, caller.apiKeyId(), BudgetPeriod.of(scope.budgetPeriod()),
                    Usd.toMicros(scope.budgetUsd())));
        }
        if (endUserBudgets) {
            endUsers.addTo(budgets, caller, endUser);
        }
        return budgets;
    }

    private <T> Flux<T> held(List<Budget> budgets, long estimate, MeteredCall call, Supplier<Flux<T>> reply) {
        return Flux.using(
                () -> BudgetHold.open(ledger, settlements, budgets, today(), estimate, properties.alertAt()),
                hold -> hold.granted(properties.reservationTimeout())
                        .flatMap(answer -> {
                            if (answer.failure() != null) {
                                return Mono.error(answer.failure());
                            }
                            // An answer from the database ends an outage; the allowance's does not.
                            outage.recovered();
                            if (!answer.admitted()) {
                                return refused(answer.refusedBy(), hold);
                            }
                            answer.pastAlert().forEach(budget -> pastAlert(budget.scope(), budget.period()).increment());
                            return Mono.just(answer);
                        })
                        .onErrorResume(Budgets::storeUnreachable, failure -> withoutStore(estimate, failure))
                        .flatMapMany(answer -> reply.get()),
                hold -> hold.end(() -> settled(costs.of(call))));
    }

    /** What a budget is charged for a call: its cost; nothing when it was unpriced (as its worst case) or not a call. */
    private static long settled(CallCost cost) {
        return cost == null || !cost.priced() ? 0 : cost.micros();
    }

    /** A 429 naming the budget, with what was spent and held in its period, until the period ends. */
    private Mono<BudgetHold.Answer> refused(Budget budget, BudgetHold hold) {
        rejections(budget.scope(), budget.period()).increment();
        LocalDate start = budget.period().start(hold.today());
        Instant resetsAt = budget.period().end(start);
        Duration retryAfter = budget.period().untilEnd(start, clock.instant());
        return ledger.usage(budget, start)
                .onErrorReturn(BudgetLedger.Usage.NONE)
                .flatMap(usage -> {
                    long used = usage.spentMicros() + usage.reservedMicros();
                    long remaining = Math.max(0, budget.limitMicros() - used);
                    String detail = remaining == 0
                            ? capitalized(budget.describe()) + " used up: " + Usd.format(used) + " of "
                                    + Usd.format(budget.limitMicros()) + " spent or held " + budget.period().span()
                            : capitalized(budget.describe()) + " exceeded: this call may cost up to "
                                    + Usd.format(hold.estimate()) + " and " + Usd.format(remaining) + " of "
                                    + Usd.format(budget.limitMicros()) + " are left " + budget.period().span()
                                    + "; lower max_tokens or shorten the prompt";
                    detail += "; it resets at " + resetsAt;
                    return Mono.error(new LimitExceeded(ErrorCode.BUDGET_EXCEEDED, detail, budget.limitMicros(), remaining,
                            retryAfter));
                });
    }

    /** The call on the outage allowance, or a 503 past it: budgets fail closed. */
    private Mono<BudgetHold.Answer> withoutStore(long estimate, Throwable failure) {
        if (outage.admit(estimate, failure)) {
            return Mono.just(new BudgetHold.Answer(List.of(), List.of(), null, null));
        }
        return Mono.error(new GatewayException(ErrorCode.STORE_UNAVAILABLE, "Budget store unavailable: budgets cannot be"
                + " checked right now, try again shortly", null, STORE_RETRY_AFTER));
    }

    /** The database could not be asked, or did not answer in time: not an answer about the budget. */
    private static boolean storeUnreachable(Throwable failure) {
        return failure instanceof TimeoutException
                || (failure instanceof DataAccessException && !(failure instanceof DataIntegrityViolationException));
    }

    /** Where the caller's own budgets stand now (its end users' are theirs); empty when none applies. */
    public Mono<List<BudgetStatus>> status(Caller caller) {
        List<Budget> budgets = applicable(caller, null);
        if (budgets.isEmpty()) {
            return Mono.just(List.of());
        }
        LocalDate today = today();
        return Flux.fromIterable(budgets)
                .concatMap(budget -> {
                    LocalDate start = budget.period().start(today);
                    return ledger.usage(budget, start)
                            .map(usage -> BudgetStatus.of(budget, usage, budget.period().end(start), properties.alertAt()));
                })
                .collectList();
    }

    /**
     * An admin gave the user other budgets: this replica reads them at once, and the others are told to (with Redis;
     * without, within {@code refresh}).
     */
    public Mono<Void> ownBudgetChanged(UUID user) {
        return users.reload(user).doOnSuccess(done -> ownBudgetChanges.accept(user));
    }

    /** Who hears of budgets changed here; one listener (the Redis channel to the other replicas). */
    void onOwnBudgetChanged(Consumer<UUID> listener) {
        this.ownBudgetChanges = listener;
    }

    /** Another replica changed the user's budgets. */
    void ownBudgetChangedElsewhere(UUID user) {
        users.reload(user).subscribe();
    }

    LocalDate today() {
        return LocalDate.now(clock.withZone(ZoneOffset.UTC));
    }

    private Counter rejections(Budget.Scope scope, BudgetPeriod period) {
        return Counter.builder("sluice.budget.rejections").description("Calls refused (429) because a USD budget had no room")
                .tag("scope", scope.label()).tag("period", period.label()).register(registry);
    }

    private Counter pastAlert(Budget.Scope scope, BudgetPeriod period) {
        return Counter.builder("sluice.budget.calls.past.alert")
                .description("Calls admitted that took a USD budget past its alert threshold (sluice.budgets.alert-at)")
                .tag("scope", scope.label()).tag("period", period.label()).register(registry);
    }

    private static String capitalized(String text) {
        return Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }
}
