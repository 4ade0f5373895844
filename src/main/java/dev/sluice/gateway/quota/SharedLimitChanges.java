package dev.sluice.gateway.quota;

import java.util.UUID;

import dev.sluice.gateway.redis.RedisSubscriptions;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;

/**
 * Tells every replica, through Redis pub/sub, that an admin changed a user's daily limits, so that each gives back
 * the blocks it holds for that user within milliseconds and takes the next ones under the new limits. Without Redis,
 * or while it is unreachable, each replica does so within {@code sluice.quotas.leases.term}.
 */
@Component
@ConditionalOnProperty("spring.data.redis.url")
class SharedLimitChanges implements SmartLifecycle {

    static final String CHANNEL = "sluice:quota-limits";
    private static final Log logger = LogFactory.getLog(SharedLimitChanges.class);

    private final ReactiveStringRedisTemplate redis;
    private final QuotaLedger ledger;
    private volatile Disposable subscription;

    SharedLimitChanges(ReactiveStringRedisTemplate redis, QuotaLedger ledger) {
        this.redis = redis;
        this.ledger = ledger;
    }

    @Override
    public void start() {
        ledger.onLimitsChanged(this::publish);
        subscription = RedisSubscriptions.resubscribing(() -> redis.listenTo(ChannelTopic.of(CHANNEL))
                                .map(message -> message.getMessage()),
                        failure -> logger.warn("Changed quota limits reach other replicas only within their lease term"
                                + " while Redis is unreachable: " + failure.getMessage()))
                .subscribe(this::apply);
    }

    private void publish(UUID user) {
        redis.convertAndSend(CHANNEL, user.toString())
                .subscribe(received -> { }, failure -> logger.warn("Could not tell other replicas that the quota of "
                        + user + " changed; they see it within their lease term: " + failure.getMessage()));
    }

    /** Revokes this replica's leases on the user named; anything else is ignored. */
    private void apply(String message) {
        UUID user;
        try {
            user = UUID.fromString(message);
        }
        catch (IllegalArgumentException notOurs) {
            return;
        }
        ledger.revoke(user);
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
