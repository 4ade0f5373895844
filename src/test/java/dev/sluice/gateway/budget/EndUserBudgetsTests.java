package dev.sluice.gateway.budget;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import dev.sluice.gateway.auth.Caller;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Each end user's budgets are their own, and one application's end users are not another's. */
class EndUserBudgetsTests {

    private static final UUID ACCOUNT = new UUID(0, 7);
    private static final Caller APP = new Caller(ACCOUNT, "app@example.com", Caller.Role.USER, new UUID(1, 1));
    private static final Caller OTHER_APP = new Caller(ACCOUNT, "app@example.com", Caller.Role.USER, new UUID(1, 2));
    private static final Caller TOKEN = new Caller(ACCOUNT, "app@example.com", Caller.Role.USER, null);

    @Test
    void anEndUserGetsTheConfiguredBudgetsUnderTheirOwnScopeAndId() {
        List<Budget> alice = budgets(properties("0.5", "10"), APP, "alice");

        assertThat(alice).extracting(Budget::scope).as("scope_kind end_user").containsOnly(Budget.Scope.END_USER);
        assertThat(alice).extracting(Budget::period).containsExactly(BudgetPeriod.DAILY, BudgetPeriod.MONTHLY);
        assertThat(alice).extracting(Budget::limitMicros).containsExactly(500_000L, 10_000_000L);
        assertThat(Budget.Scope.END_USER.label()).as("fits budget_usage.scope_kind").hasSizeLessThanOrEqualTo(8);
        assertThat(alice.get(0).describe()).isEqualTo("daily budget of the end user");
    }

    @Test
    void theSameNameIsAnotherEndUserUnderAnotherKeyOrWithoutAKey() {
        BudgetProperties daily = properties("0.5", null);
        UUID ofApp = budgets(daily, APP, "alice").get(0).scopeId();

        assertThat(budgets(daily, APP, "alice").get(0).scopeId()).as("stable: the same row every call").isEqualTo(ofApp);
        assertThat(budgets(daily, APP, "bob").get(0).scopeId()).isNotEqualTo(ofApp);
        assertThat(budgets(daily, OTHER_APP, "alice").get(0).scopeId()).as("another key's alice").isNotEqualTo(ofApp);
        assertThat(budgets(daily, TOKEN, "alice").get(0).scopeId()).as("the account's own alice, without a key")
                .isNotEqualTo(ofApp).isEqualTo(EndUserBudgets.id(ACCOUNT, "alice"));
    }

    @Test
    void withoutPerEndUserBudgetsThereAreNone() {
        EndUserBudgets none = new EndUserBudgets(properties(null, null));

        assertThat(none.none()).isTrue();
        assertThat(new EndUserBudgets(properties(null, "1")).none()).isFalse();
    }

    private static List<Budget> budgets(BudgetProperties properties, Caller caller, String endUser) {
        List<Budget> budgets = new ArrayList<>();
        new EndUserBudgets(properties).addTo(budgets, caller, endUser);
        return budgets;
    }

    private static BudgetProperties properties(String daily, String monthly) {
        return new BudgetProperties(new BudgetProperties.PeriodBudgets(null, null),
                new BudgetProperties.PeriodBudgets(daily == null ? null : new BigDecimal(daily),
                        monthly == null ? null : new BigDecimal(monthly)),
                0.8, 1000, Duration.ofSeconds(5), BigDecimal.ONE, Duration.ofMinutes(1));
    }
}
