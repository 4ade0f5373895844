package dev.sluice.gateway.provider.key;

import java.time.Duration;

import dev.sluice.gateway.provider.Provider;
import dev.sluice.gateway.provider.ProviderRegistry;
import dev.sluice.gateway.redis.RedisSubscriptions;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.ScanOptions;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Shares key cooldowns between replicas through Redis, when Redis is configured: a replica that gets a
 * 429 publishes the cooldown (for one model, or for every model of the key), every replica rests the key,
 * and a TTL'd copy lets a replica that starts later learn the cooldowns still running. Nothing here is on the request path, and a Redis failure
 * only means each replica finds out about a rate-limited key by itself, as without Redis.
 */
@Component
@ConditionalOnProperty("spring.data.redis.url")
public class SharedKeyCooldowns implements SmartLifecycle {

    static final String CHANNEL = "sluice:key-cooldowns";
    static final String PREFIX = "sluice:key-cooldown:";
    private static final Log logger = LogFactory.getLog(SharedKeyCooldowns.class);

    private final ReactiveStringRedisTemplate redis;
    private final ProviderRegistry providers;
    private volatile Disposable subscription;

    public SharedKeyCooldowns(ReactiveStringRedisTemplate redis, ProviderRegistry providers) {
        this.redis = redis;
        this.providers = providers;
    }

    @Override
    public void start() {
        providers.all().forEach(provider -> provider.keys().onCooldown(this::publish));
        // Live cooldowns first, then the ones still running from before this replica started.
        subscription = RedisSubscriptions.resubscribing(() -> redis.listenTo(ChannelTopic.of(CHANNEL))
                                .map(message -> message.getMessage())
                                .mergeWith(runningCooldowns()),
                        failure -> logger.warn("Key cooldowns are not shared while Redis is unreachable: " + failure.getMessage()))
                .subscribe(this::apply);
    }

    private void publish(String provider, String keyId, String model, long untilEpochMillis) {
        long ttl = untilEpochMillis - System.currentTimeMillis();
        if (ttl <= 0) {
            return;
        }
        String message = provider + " " + keyId + " " + untilEpochMillis + (model == null ? "" : " " + model);
        String key = PREFIX + provider + ":" + keyId + (model == null ? "" : ":" + model);
        redis.opsForValue().set(key, message, Duration.ofMillis(ttl))
                .then(redis.convertAndSend(CHANNEL, message))
                .subscribe(received -> { }, failure -> logger.debug("Could not share a key cooldown: " + failure.getMessage()));
    }

    private Flux<String> runningCooldowns() {
        return redis.scan(ScanOptions.scanOptions().match(PREFIX + "*").count(100).build())
                .take(10_000)
                .flatMap(key -> redis.opsForValue().get(key), 8)
                .onErrorResume(failure -> Mono.empty());
    }

    /**
     * Applies {@code "<provider> <keyId> <untilEpochMillis>"} (every model of the key) or the same followed by
     * {@code " <model>"} (that model only); anything else is ignored.
     */
    private void apply(String message) {
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
