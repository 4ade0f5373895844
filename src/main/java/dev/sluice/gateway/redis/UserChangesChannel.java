package dev.sluice.gateway.redis;

import java.util.UUID;
import java.util.function.Consumer;

import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/**
 * A channel whose messages are user ids: "an admin changed this user's settings here, read them again". What this
 * replica changes comes from {@code changedHere} (given a listener once, at start), and what any replica changed
 * goes to {@code changedElsewhere}; a message that is not a user id is not ours, and is ignored.
 */
public abstract class UserChangesChannel extends RedisChannel {

    private final Consumer<Consumer<UUID>> changedHere;
    private final Consumer<UUID> changedElsewhere;

    protected UserChangesChannel(ReactiveStringRedisTemplate redis, String channel, String meanwhile,
            Consumer<Consumer<UUID>> changedHere, Consumer<UUID> changedElsewhere) {
        super(redis, channel, meanwhile);
        this.changedHere = changedHere;
        this.changedElsewhere = changedElsewhere;
    }

    @Override
    protected final void publishFrom() {
        changedHere.accept(user -> publish(user.toString()));
    }

    @Override
    protected final void received(String message) {
        UUID user;
        try {
            user = UUID.fromString(message);
        }
        catch (IllegalArgumentException notOurs) {
            return;
        }
        changedElsewhere.accept(user);
    }
}
