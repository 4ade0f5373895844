package dev.sluice.gateway.redis;

import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One Redis pub/sub channel by which replicas tell each other what to forget: messages published here reach every
 * replica's {@link #received}, this one's included; listened to from start to stop, resubscribed while Redis is away
 * ({@link RedisSubscriptions}), with {@link #catchUp()}'s messages after each subscription. Messages that cannot be
 * published and a lost subscription are logged once an outage, with what then bounds the staleness
 * ({@code meanwhile}), and their end too; neither is ever an error for the request that caused it.
 */
public abstract class RedisChannel implements SmartLifecycle {

    private final Logger log = LoggerFactory.getLogger(getClass());
    private final ReactiveStringRedisTemplate redis;
    private final String channel;
    private final String meanwhile;
    /** Whether the channel is lost and that was logged; the next message heard logs its return. */
    private final AtomicBoolean deaf = new AtomicBoolean();
    /** Whether publishing failed and that was logged; the next message published logs its return. */
    private final AtomicBoolean mute = new AtomicBoolean();
    private volatile Disposable subscription;
    /**
     * A flag, not the subscription's state: were it "the subscription is not disposed", one that ended by itself
     * would make Spring skip {@link #stop()}, and a subclass's own tasks would go on while Redis closes under them.
     */
    private volatile boolean running;

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

    /** What was said before this replica listened and still holds, read again after each subscription; none here. */
    protected Flux<String> catchUp() {
        return Flux.empty();
    }

    protected final ReactiveStringRedisTemplate redis() {
        return redis;
    }

    /** Publishes once, fire and forget. */
    protected final void publish(String message) {
        publishAfter(Mono.empty(), message);
    }

    /** Publishes {@code message} once {@code before} has completed; neither is tried again. */
    protected final void publishAfter(Mono<?> before, String message) {
        before.then(redis.convertAndSend(channel, message)).subscribe(receivers -> {
            if (mute.compareAndSet(true, false)) {
                log.info("Redis channel {} is published to again", channel);
            }
        }, failure -> {
            if (mute.compareAndSet(false, true)) {
                log.warn("Could not tell other replicas on {}; {}: {}", channel, meanwhile, failure.getMessage());
            }
        });
    }

    @Override
    public void start() {
        running = true;
        publishFrom();
        subscription = RedisSubscriptions.resubscribing(
                        () -> redis.listenTo(ChannelTopic.of(channel)).map(message -> message.getMessage())
                                .mergeWith(catchUp()),
                        failure -> {
                            if (deaf.compareAndSet(false, true)) {
                                log.warn("Lost Redis channel {}; {}: {}", channel, meanwhile, failure.getMessage());
                            }
                        })
                .subscribe(message -> {
                    if (deaf.compareAndSet(true, false)) {
                        log.info("Redis channel {} is heard again", channel);
                    }
                    received(message);
                });
    }

    @Override
    public void stop() {
        running = false;
        Disposable listening = subscription;
        if (listening != null) {
            listening.dispose();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
