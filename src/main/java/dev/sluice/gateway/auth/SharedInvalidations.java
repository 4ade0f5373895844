package dev.sluice.gateway.auth;

import java.util.UUID;

import dev.sluice.gateway.auth.apikey.ApiKeys;
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
 * Tells every replica, through Redis pub/sub, what each one remembers of credentials and must now forget: an
 * API key revoked ({@code key <id>}) and an account whose role changed ({@code role <id>}). Replicas drop them
 * within milliseconds, rather than when their own memory of them runs out. Without Redis, or while it is
 * unreachable, each replica forgets by itself within {@code ApiKeys.REMEMBERED} and {@code Roles.REMEMBERED}.
 */
@Component
@ConditionalOnProperty("spring.data.redis.url")
class SharedInvalidations implements SmartLifecycle {

    static final String CHANNEL = "sluice:auth-invalidations";
    private static final Log logger = LogFactory.getLog(SharedInvalidations.class);

    private final ReactiveStringRedisTemplate redis;
    private final ApiKeys apiKeys;
    private final Roles roles;
    private volatile Disposable subscription;

    SharedInvalidations(ReactiveStringRedisTemplate redis, ApiKeys apiKeys, Roles roles) {
        this.redis = redis;
        this.apiKeys = apiKeys;
        this.roles = roles;
    }

    @Override
    public void start() {
        apiKeys.onRevoked(id -> publish("key " + id));
        roles.onChange(id -> publish("role " + id));
        subscription = RedisSubscriptions.resubscribing(() -> redis.listenTo(ChannelTopic.of(CHANNEL))
                                .map(message -> message.getMessage()),
                        failure -> logger.warn("Revoked keys and role changes reach other replicas only by expiry while"
                                + " Redis is unreachable: " + failure.getMessage()))
                .subscribe(this::apply);
    }

    private void publish(String message) {
        redis.convertAndSend(CHANNEL, message)
                .subscribe(received -> { }, failure -> logger.warn("Could not tell other replicas '" + message
                        + "'; they forget it by expiry: " + failure.getMessage()));
    }

    /** Applies {@code "key <uuid>"} or {@code "role <uuid>"}; anything else is ignored. */
    private void apply(String message) {
        int space = message.indexOf(' ');
        UUID id;
        try {
            id = UUID.fromString(message.substring(space + 1));
        }
        catch (IllegalArgumentException notOurs) {
            return;
        }
        String kind = message.substring(0, Math.max(space, 0));
        if (kind.equals("key")) {
            apiKeys.forget(id);
        }
        else if (kind.equals("role")) {
            roles.forget(id);
            apiKeys.forgetAccount(id);
        }
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
