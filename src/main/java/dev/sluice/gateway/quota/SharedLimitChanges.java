package dev.sluice.gateway.quota;

import dev.sluice.gateway.redis.UserChangesChannel;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;

/**
 * Tells every replica, through Redis pub/sub, that an admin gave a user other limits, so that the blocks each one
 * took of that user's quota under the old limits go back at once rather than within {@code blocks.term}. Without
 * Redis, or while it is unreachable, that term is the bound.
 */
@Component
@ConditionalOnProperty("spring.data.redis.url")
class SharedLimitChanges extends UserChangesChannel {

    static final String CHANNEL = "sluice:quota-limits";

    SharedLimitChanges(ReactiveStringRedisTemplate redis, DailyQuota quota) {
        super(redis, CHANNEL, "other replicas' quota blocks go back within their term", quota::onLimitsChanged,
                quota::limitsChangedElsewhere);
    }
}
