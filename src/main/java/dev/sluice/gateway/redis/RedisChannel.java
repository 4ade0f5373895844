package dev.sluice.gateway.redis;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import reactor.core.Disposable;

/**
 * One Redis pub/sub channel by which replicas tell each other what to forget: messages published here reach every
 * replica's {@link #received}, this one's included; listened to from start to stop, resubscribed while Redis is away
 * ({@link RedisSubscriptions}). A message that cannot be published, or a subscription lost, is logged with what
 * then bounds the staleness ({@code meanwhile}), never an error for the request that caused it.
 */
public abstract class RedisChannel implements SmartLifecycle {

    private final Logger log = LoggerFactory.getLogger(getClass());
    private final ReactiveStringRedisTemplate redis;
    private final String channel;
    private final String meanwhile;
    private volatile Disposable subscription;

    /** {@code meanwhile}: what bounds the other replicas' staleness while Redis cannot carry a message. */
    protected RedisChannel(ReactiveStringRedisTemplate redis, String channel, String meanwhile) {
        this.redis = redis;
        this.channel = channel;
        this.meanwhile = meanwhile;
    }

    /** Called once at start, before listening: where the messages to publish come from. */
    protected abstract void publishFrom();

    /** A message from any replica; one this code does not know is to be ignored. */
    protected abstract void received(String message);

    protected final void publish(String message) {
        redis.convertAndSend(channel, message).subscribe(receivers -> { },
                failure -> log.warn("Could not tell other replicas '{}'; {}: {}", message, meanwhile, failure.getMessage()));
    }

    @Override
    public void start() {
        publishFrom();
        subscription = RedisSubscriptions.resubscribing(
                        () -> redis.listenTo(ChannelTopic.of(channel)).map(message -> message.getMessage()),
                        failure -> log.warn("Lost Redis channel {}; {}: {}", channel, meanwhile, failure.getMessage()))
                .subscribe(this::received);
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
