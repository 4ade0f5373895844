package dev.sluice.gateway.budget;

import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One call's hold on every budget that applies to it, from the reservation to its settlement. Each budget is
 * reserved with its own conditional UPDATE, all at once; the call goes ahead only when every one granted, and when
 * one refused, those that granted are given back at once (held only meanwhile: never over-spent, at worst a
 * concurrent call refused that a moment later would have fitted).
 * <p>
 * As with a quota reservation, the UPDATEs run to the end even if the client hangs up or the wait times out, and
 * {@link #end} settles whatever was granted, however late the answer comes; {@code Flux.using} calls it exactly once.
 */
final class BudgetHold {

    private final LocalDate today;
    private final long estimate;
    private final BudgetSettlements settlements;
    private final CompletableFuture<Answer> answer;

    private BudgetHold(LocalDate today, long estimate, BudgetSettlements settlements, CompletableFuture<Answer> answer) {
        this.today = today;
        this.estimate = estimate;
        this.settlements = settlements;
        this.answer = answer;
    }

    /** Starts reserving {@code estimate} micro-USD on every budget, detached from whoever waits for the answer. */
    static BudgetHold open(BudgetLedger ledger, BudgetSettlements settlements, List<Budget> budgets, LocalDate today,
            long estimate, double alertAt) {
        Mono<Answer> reserving = Flux.fromIterable(budgets)
                .flatMap(budget -> ledger.reserve(budget, budget.period().start(today), estimate, budget.alertMicros(alertAt))
                        .map(room -> new Try(budget, room, null))
                        .onErrorResume(failure -> Mono.just(new Try(budget, BudgetLedger.Room.NONE, failure))))
                .collectList()
                .map(tries -> decided(tries, settlements, today, estimate));
        return new BudgetHold(today, estimate, settlements, reserving.toFuture());
    }

    /** All granted, or the first refusal (a failure before a refusal); what was granted of a refused call goes back. */
    private static Answer decided(List<Try> tries, BudgetSettlements settlements, LocalDate today, long estimate) {
        List<Budget> granted = new ArrayList<>(tries.size());
        List<Budget> pastAlert = new ArrayList<>(0);
        Try refusal = null;
        for (Try one : tries) {
            if (one.room() != BudgetLedger.Room.NONE) {
                granted.add(one.budget());
                if (one.room() == BudgetLedger.Room.PAST_ALERT) {
                    pastAlert.add(one.budget());
                }
            }
            else if (refusal == null || (refusal.failure() == null && one.failure() != null)) {
                refusal = one;
            }
        }
        if (refusal == null) {
            return new Answer(granted, pastAlert, null, null);
        }
        for (Budget budget : granted) {
            settlements.settle(budget, budget.period().start(today), estimate, 0);
        }
        return new Answer(List.of(), List.of(), refusal.budget(), refusal.failure());
    }

    /**
     * The database's answer; a {@link java.util.concurrent.TimeoutException} past {@code timeout}. Neither a cancel
     * nor the timeout stops the reservation itself.
     */
    Mono<Answer> granted(Duration timeout) {
        return answer.isDone() ? Mono.fromFuture(answer, true) : Mono.fromFuture(answer, true).timeout(timeout);
    }

    /** The call is over (completed, failed or cancelled): each budget it holds is settled to {@code actual}. */
    void end(LongSupplier actual) {
        answer.whenComplete((decided, failure) -> {
            if (decided != null && !decided.held().isEmpty()) {
                long cost = actual.getAsLong();
                for (Budget budget : decided.held()) {
                    settlements.settle(budget, budget.period().start(today), estimate, cost);
                }
            }
        });
    }

    LocalDate today() {
        return today;
    }

    long estimate() {
        return estimate;
    }

    private record Try(Budget budget, BudgetLedger.Room room, Throwable failure) {
    }

    /**
     * Every budget held, and those of them past their alert threshold now; or none held: then the budget that refused
     * ({@code failure} {@code null}) or could not be asked.
     */
    record Answer(List<Budget> held, List<Budget> pastAlert, Budget refusedBy, Throwable failure) {

        boolean admitted() {
            return refusedBy == null;
        }
    }
}
