package dev.sluice.gateway.budget;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

import dev.sluice.gateway.auth.Caller;

/**
 * The budgets of an application's end users ({@code sluice.budgets.per-end-user}): one of each period per end user of
 * an API key, or of an account without a key ({@link Caller#endUsersOwner()}, the rule the end users' rate limits
 * follow), so that one application's end users are not another's. End users are names the application gives, not
 * rows: each one's budget is kept in {@code budget_usage} under a name-based UUID of its owner and its name.
 */
final class EndUserBudgets {

    private final Long daily;
    private final Long monthly;

    EndUserBudgets(BudgetProperties properties) {
        this.daily = Usd.toMicrosOrNull(properties.perEndUser().dailyUsd());
        this.monthly = Usd.toMicrosOrNull(properties.perEndUser().monthlyUsd());
    }

    /** Whether end users have no budget: then naming one costs nothing. */
    boolean none() {
        return daily == null && monthly == null;
    }

    /** Adds the budgets of {@code endUser}, as {@code caller} names them, to {@code budgets}. */
    void addTo(List<Budget> budgets, Caller caller, String endUser) {
        UUID id = id(caller.endUsersOwner(), endUser);
        if (daily != null) {
            budgets.add(new Budget(Budget.Scope.END_USER, id, BudgetPeriod.DAILY, daily));
        }
        if (monthly != null) {
            budgets.add(new Budget(Budget.Scope.END_USER, id, BudgetPeriod.MONTHLY, monthly));
        }
    }

    /** The owner's id is of fixed length, so no two (owner, end user) pairs give the same name. */
    static UUID id(UUID owner, String endUser) {
        return UUID.nameUUIDFromBytes((owner + ":" + endUser).getBytes(StandardCharsets.UTF_8));
    }
}
