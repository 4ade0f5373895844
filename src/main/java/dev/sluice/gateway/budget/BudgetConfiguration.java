package dev.sluice.gateway.budget;

import java.time.Clock;

import dev.sluice.gateway.config.ShutdownOrder;
import dev.sluice.gateway.config.ShutdownStep;
import dev.sluice.gateway.spend.CallCosts;
import dev.sluice.gateway.spend.PriceBook;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.r2dbc.core.DatabaseClient;

/** USD budgets on the application's database, at the spend's prices. */
@Configuration(proxyBeanMethods = false)
class BudgetConfiguration {

    @Bean
    BudgetLedger budgetLedger(DatabaseClient database) {
        return new BudgetLedger(database);
    }

    @Bean
    BudgetSettlements budgetSettlements(BudgetLedger ledger, MeterRegistry registry) {
        return new BudgetSettlements(ledger, registry);
    }

    /** On shutdown the settlements in flight are waited for, so that a graceful stop holds nothing. */
    @Bean
    ShutdownStep budgetDrain(BudgetSettlements settlements) {
        return new ShutdownStep(ShutdownOrder.WRITE_BEHIND, settlements::drain);
    }

    @Bean
    UserBudgets userBudgets(BudgetLedger ledger, BudgetProperties properties) {
        return new UserBudgets(ledger, properties);
    }

    @Bean
    Budgets budgets(BudgetLedger ledger, BudgetSettlements settlements, UserBudgets users, PriceBook prices,
            CallCosts costs, BudgetProperties properties, MeterRegistry registry) {
        return new Budgets(ledger, settlements, users, new EndUserBudgets(properties), new CallPrices(prices), costs,
                properties, Clock.systemUTC(), registry);
    }
}
