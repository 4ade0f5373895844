package dev.sluice.gateway.redis;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import dev.sluice.gateway.testing.ExternalServices;
import io.lettuce.core.AbstractRedisAsyncCommands;
import io.lettuce.core.Delegating;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisChannelWriter;
import io.lettuce.core.RedisURI;
import io.lettuce.core.protocol.DefaultEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** Spring's Redis connections closed on shutdown against the real Redis, Lettuce's wedged close (lettuce#3880) included. */
class BoundedRedisCloseIT {

    private static final Duration WAIT = Duration.ofMillis(500);

    private final ExecutorService writer = Executors.newSingleThreadExecutor();
    private final LettuceConnectionFactory factory = factory(ExternalServices.get().redisUrl());

    @AfterEach
    void stop() {
        factory.destroy();
        writer.shutdownNow();
    }

    @Test
    void connectionsThatCloseAreClosedBeforeTheShutdownGoesOn() {
        factory.getConnection().ping();

        new BoundedRedisClose(provider(factory), WAIT).run();

        assertThat(factory.isRunning()).isFalse();
    }

    @Test
    void aCloseThatLettuceWedgesHoldsTheShutdownNoLongerThanTheWait() throws Exception {
        factory.getConnection().ping();
        // What lettuce#3880 leaves behind: another thread's writer count on the connection, raised and never lowered.
        Object lock = sharedLock(factory);
        Method raise = writersMethod(lock, "incrementWriters");
        writer.submit(() -> raise.invoke(lock)).get();

        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> new BoundedRedisClose(provider(factory), WAIT).run(),
                "the shutdown waited for the wedged close");
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> factory.stop(), "the factory's own stop waited for it too");
        assertThat(closing()).as("the close spins on, on its daemon thread").isTrue();

        // Lowered again by its own thread, the count lets the close end, so no thread spins on after the test.
        Method lower = writersMethod(lock, "decrementWriters");
        writer.submit(() -> lower.invoke(lock)).get();
        await().atMost(Duration.ofSeconds(10)).until(() -> !closing());
    }

    @Test
    void aGatewayContextWhoseConnectionLettuceWedgesStillCloses() throws Exception {
        RedisURI uri = RedisURI.create(ExternalServices.get().redisUrl());
        AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext();
        context.register(RedisShutdownConfiguration.class);
        context.registerBean(LettuceConnectionFactory.class,
                () -> new LettuceConnectionFactory(new RedisStandaloneConfiguration(uri.getHost(), uri.getPort())));
        context.refresh();
        LettuceConnectionFactory wedged = context.getBean(LettuceConnectionFactory.class);
        wedged.getConnection().ping();
        Object lock = sharedLock(wedged);
        writer.submit(() -> writersMethod(lock, "incrementWriters").invoke(lock)).get();

        assertTimeoutPreemptively(BoundedRedisClose.WAIT.plusSeconds(5), context::close,
                "the context's close waited for the wedged connection");

        writer.submit(() -> writersMethod(lock, "decrementWriters").invoke(lock)).get();
        await().atMost(Duration.ofSeconds(10)).until(() -> !closing());
    }

    private static boolean closing() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(thread -> thread.getName().equals("redis-close"));
    }

    private static LettuceConnectionFactory factory(String url) {
        RedisURI uri = RedisURI.create(url);
        LettuceConnectionFactory factory = new LettuceConnectionFactory(new RedisStandaloneConfiguration(uri.getHost(), uri.getPort()));
        factory.afterPropertiesSet();
        factory.start();
        return factory;
    }

    private static ObjectProvider<LettuceConnectionFactory> provider(LettuceConnectionFactory factory) {
        return new StaticListableBeanFactory(Map.of("redis", factory)).getBeanProvider(LettuceConnectionFactory.class);
    }

    /** The lock Lettuce's endpoint takes for each command it writes, on the factory's shared connection. */
    private static Object sharedLock(LettuceConnectionFactory factory) throws ReflectiveOperationException {
        AbstractRedisAsyncCommands<?, ?> commands = (AbstractRedisAsyncCommands<?, ?>) factory.getConnection().getNativeConnection();
        RedisChannelWriter channel = ((RedisChannelHandler<?, ?>) commands.getConnection()).getChannelWriter();
        while (channel instanceof Delegating<?> delegating) {
            channel = (RedisChannelWriter) delegating.getDelegate();
        }
        Field lock = DefaultEndpoint.class.getDeclaredField("sharedLock");
        lock.setAccessible(true);
        return lock.get(channel);
    }

    private static Method writersMethod(Object lock, String name) throws NoSuchMethodException {
        Method method = lock.getClass().getDeclaredMethod(name);
        method.setAccessible(true);
        return method;
    }
}
