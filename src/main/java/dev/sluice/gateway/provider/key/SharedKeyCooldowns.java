package dev.sluice.gateway.provider.key;

import java.time.Duration;

import dev.sluice.gateway.provider.Provider;
import dev.sluice.gateway.provider.ProviderRegistry;
import dev.sluice.gateway.redis.RedisChannel;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.ScanOptions;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Shares key cooldowns between replicas through Redis, when Redis is configured: a replica that gets a
 * 429 publishes the cooldown (for one model, or for every model of the key), every replica rests the key,
 * and a TTL'd copy lets a replica that starts later learn the cooldowns still running. Nothing here is on the request
 * path, and a Redis failure only means each replica finds out about a rate-limited key by itself, as without Redis.
 */
@Component
@ConditionalOnProperty("spring.data.redis.url")
public class SharedKeyCooldowns extends RedisChannel {

    static final String CHANNEL = "sluice:key-cooldowns";
    static final String PREFIX = "sluice:key-cooldown:";

    private final ProviderRegistry providers;

    public SharedKeyCooldowns(ReactiveStringRedisTemplate redis, ProviderRegistry providers) {
        super(redis, CHANNEL, "each replica finds out about a rate-limited key by itself");
        this.providers = providers;
    }

    @Override
    protected void publishFrom() {
        providers.all().forEach(provider -> provider.keys().onCooldown(this::share));
    }

    private void share(String provider, String keyId, String model, long untilEpochMillis) {
        long ttl = untilEpochMillis - System.currentTimeMillis();
        if (ttl <= 0) {
            return;
        }
        String message = provider + " " + keyId + " " + untilEpochMillis + (model == null ? "" : " " + model);
        String key = PREFIX + provider + ":" + keyId + (model == null ? "" : ":" + model);
        publishAfter(redis().opsForValue().set(key, message, Duration.ofMillis(ttl)), message);
    }

    /** The cooldowns still running from before this replica listened. */
    @Override
    protected Flux<String> catchUp() {
        return redis().scan(ScanOptions.scanOptions().match(PREFIX + "*").count(100).build())
                .take(10_000)
                .flatMap(key -> redis().opsForValue().get(key), 8)
                .onErrorResume(failure -> Mono.empty());
    }

    /**
     * Applies {@code "<provider> <keyId> <untilEpochMillis>"} (every model of the key) or the same followed by
     * {@code " <model>"} (that model only); anything else is ignored.
     */
    @Override
    protected void received(String message) {
        String[] parts = message.split(" ", 4);
        if (parts.length < 3) {
            return;
        }
        try {
            long until = Long.parseLong(parts[2]);
            String model = parts.length == 4 ? parts[3] : null;
            providers.find(parts[0]).map(Provider::keys).ifPresent(keys -> keys.coolDown(parts[1], model, until));
        }
        catch (NumberFormatException ignored) {
            // Not ours.
        }
    }
}
