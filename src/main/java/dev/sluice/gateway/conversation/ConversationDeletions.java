package dev.sluice.gateway.conversation;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import dev.sluice.gateway.redis.RedisChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Tells every replica, through Redis, which conversations were deleted, so that none goes on continuing one from
 * its memory of the conversation (where it would stay up to half an hour). A deletion is numbered with a Redis
 * counter and published as {@code "<number> <conversation id>"}; every replica forgets that conversation at once.
 * A replica that misses announcements (its subscription was down) notices from the counter within two checks
 * ({@value #CHECK_SECONDS} s apart) and forgets every conversation it remembers: the database knows which still
 * exist. An announcement Redis could not take is tried again until it can, for as long as a memory lasts.
 * <p>
 * Without Redis (one replica, the embedded default) there is no one to tell.
 */
@Component
@ConditionalOnProperty("spring.data.redis.url")
class ConversationDeletions extends RedisChannel {

    static final String CHANNEL = "sluice:conversation-deletions";
    static final String COUNT = "sluice:conversation-deletions:count";
    static final long CHECK_SECONDS = 2;
    /** Announcements waiting for Redis at most; beyond, the others find out from the database's 404 only. */
    private static final int MAX_PENDING = 10_000;
    private static final Duration REDIS_TIMEOUT = Duration.ofSeconds(2);
    private static final Logger logger = LoggerFactory.getLogger(ConversationDeletions.class);

    private final Conversations conversations;
    private final DeletionSequence sequence = new DeletionSequence();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Disposable checking;

    ConversationDeletions(ReactiveStringRedisTemplate redis, Conversations conversations) {
        super(redis, CHANNEL, "they find out from the counter, or from the database");
        this.conversations = conversations;
    }

    @Override
    public void start() {
        super.start();
        // The first count at once: the numbers this replica must see start there, before it remembers anything.
        checking = Flux.interval(Duration.ZERO, Duration.ofSeconds(CHECK_SECONDS))
                .onBackpressureDrop()
                .concatMap(tick -> redis().opsForValue().get(COUNT).defaultIfEmpty("0")
                        .timeout(REDIS_TIMEOUT)
                        .onErrorResume(failure -> Mono.empty()))
                .subscribe(this::check);
    }

    @Override
    protected void publishFrom() {
        conversations.onDeleted(this::announce);
    }

    /** Numbered, and tried again until Redis takes it: a deletion missed would leave a conversation remembered. */
    private void announce(UUID conversation) {
        if (pending.incrementAndGet() > MAX_PENDING) {
            pending.decrementAndGet();
            logger.warn("Conversation " + conversation + " was deleted while Redis is unreachable and too many "
                    + "announcements wait: other replicas may go on remembering it");
            return;
        }
        Retry untilRedisAnswers = Retry.backoff(200, Duration.ofMillis(200)).maxBackoff(Duration.ofSeconds(10));
        redis().opsForValue().increment(COUNT).timeout(REDIS_TIMEOUT).retryWhen(untilRedisAnswers)
                .flatMap(number -> redis().convertAndSend(CHANNEL, number + " " + conversation).timeout(REDIS_TIMEOUT)
                        .retryWhen(untilRedisAnswers))
                .doFinally(signal -> pending.decrementAndGet())
                .subscribe(null, failure -> logger.warn("Could not tell the other replicas that conversation "
                        + conversation + " was deleted: " + failure.getMessage()));
    }

    /** Applies {@code "<number> <conversation id>"}; anything else is ignored. */
    @Override
    protected void received(String message) {
        int space = message.indexOf(' ');
        try {
            long number = Long.parseLong(message.substring(0, Math.max(space, 0)));
            conversations.forget(UUID.fromString(message.substring(space + 1)));
            if (!sequence.seen(number)) {
                forgetAll();
            }
        }
        catch (IllegalArgumentException notOurs) {
            // NumberFormatException included: not an announcement of ours.
        }
    }

    private void check(String count) {
        try {
            if (sequence.missed(Long.parseLong(count))) {
                forgetAll();
            }
        }
        catch (NumberFormatException notOurs) {
            // Someone else's value under our key: nothing to learn from it.
        }
    }

    private void forgetAll() {
        logger.info("Some conversation deletions on other replicas were not heard: this replica forgets the "
                + "conversations it remembered and reads them from the database again");
        conversations.forgetAll();
    }

    @Override
    public void stop() {
        super.stop();
        Disposable task = checking;
        if (task != null) {
            task.dispose();
        }
    }
}
