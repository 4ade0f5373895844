package dev.sluice.gateway.quota;

import java.util.UUID;

import dev.sluice.gateway.redis.RedisSubscriptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;

/**
 * Tells every replica, through Redis pub/sub, that an admin gave a user other limits, so that the blocks each one
 * took of that user's quota under the old limits go back at once rather than within {@code blocks.term}. Without
 * Redis, or while it is unreachable, that term is the bound.
 */
@Component
@ConditionalOnProperty("spring.data.redis.url")
class SharedLimitChanges implements SmartLifecycle {

    static final String CHANNEL = "sluice:quota-limits";
    private static final Logger log = LoggerFactory.getLogger(SharedLimitChanges.class);

    private final ReactiveStringRedisTemplate redis;
    private final DailyQuota quota;
    private volatile Disposable subscription;

    SharedLimitChanges(ReactiveStringRedisTemplate redis, DailyQuota quota) {
        this.redis = redis;
        this.quota = quota;
    }

    @Override
    public void start() {
        quota.onLimitsChanged(this::publish);
        subscription = RedisSubscriptions.resubscribing(() -> redis.listenTo(ChannelTopic.of(CHANNEL))
                                .map(message -> message.getMessage()),
                        failure -> log.warn("New quota limits reach other replicas' blocks only within their term while"
                                + " Redis is unreachable: {}", failure.getMessage()))
                .subscribe(this::apply);
    }

    private void publish(UUID user) {
        redis.convertAndSend(CHANNEL, user.toString())
                .subscribe(received -> { }, failure -> log.warn("Could not tell other replicas of new limits for {};"
                        + " their blocks go back within their term: {}", user, failure.getMessage()));
    }

    /** A user id; anything else is ignored. The replica that published it hears it too, which costs nothing. */
    private void apply(String message) {
        UUID user;
        try {
            user = UUID.fromString(message);
        }
        catch (IllegalArgumentException notOurs) {
            return;
        }
        quota.limitsChangedElsewhere(user);
    }

    @Override
    public void stop() {
        Disposable running = subscription;
        if (running != null) {
            running.dispose();
        }
    }

    @Override
    public boolean isRunning() {
        Disposable running = subscription;
        return running != null && !running.isDisposed();
    }
}
