package dev.sluice.gateway.auth;

import java.util.UUID;

import dev.sluice.gateway.auth.apikey.ApiKeys;
import dev.sluice.gateway.redis.RedisChannel;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;

/**
 * Tells every replica, through Redis pub/sub, what each one remembers of credentials and must now forget: an
 * API key revoked or changed ({@code key <id>}) and an account whose role changed ({@code role <id>}). Replicas drop them
 * within milliseconds, rather than when their own memory of them runs out. Without Redis, or while it is
 * unreachable, each replica forgets by itself within {@code ApiKeys.REMEMBERED} and {@code Roles.REMEMBERED}.
 */
@Component
@ConditionalOnProperty("spring.data.redis.url")
class SharedInvalidations extends RedisChannel {

    static final String CHANNEL = "sluice:auth-invalidations";

    private final ApiKeys apiKeys;
    private final Roles roles;

    SharedInvalidations(ReactiveStringRedisTemplate redis, ApiKeys apiKeys, Roles roles) {
        super(redis, CHANNEL, "other replicas forget it by expiry");
        this.apiKeys = apiKeys;
        this.roles = roles;
    }

    @Override
    protected void publishFrom() {
        apiKeys.onChanged(id -> publish("key " + id));
        roles.onChange(id -> publish("role " + id));
    }

    /** Applies {@code "key <uuid>"} or {@code "role <uuid>"}; anything else is ignored. */
    @Override
    protected void received(String message) {
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
}
