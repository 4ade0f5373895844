package dev.sluice.gateway.budget;

import dev.sluice.gateway.redis.UserChangesChannel;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;

/**
 * Tells every replica, through Redis pub/sub, that an admin gave a user other budgets, so that each reads them at
 * once rather than within {@code sluice.budgets.refresh}. Without Redis, or while it is unreachable, that is the bound.
 */
@Component
@ConditionalOnProperty("spring.data.redis.url")
class SharedBudgetChanges extends UserChangesChannel {

    static final String CHANNEL = "sluice:budget-limits";

    SharedBudgetChanges(ReactiveStringRedisTemplate redis, Budgets budgets) {
        super(redis, CHANNEL, "other replicas read users' budgets again within sluice.budgets.refresh",
                budgets::onOwnBudgetChanged, budgets::ownBudgetChangedElsewhere);
    }
}
