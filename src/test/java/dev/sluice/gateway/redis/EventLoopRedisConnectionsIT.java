package dev.sluice.gateway.redis;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.sluice.gateway.testing.ExternalServices;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.reactive.RedisReactiveCommands;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;

/** One connection on each event loop, against the real Redis: a command sent on a loop is answered on that loop. */
class EventLoopRedisConnectionsIT {

    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(2,
            Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    private final EventLoopRedisConnections<RedisReactiveCommands<String, byte[]>> redis = new EventLoopRedisConnections<>(
            loops, ExternalServices.get().redisUrl(), Duration.ofSeconds(2), "a test", StatefulRedisConnection::reactive);

    @AfterEach
    void close() {
        redis.close();
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }

    @Test
    void eachLoopSendsOnItsOwnConnectionAndIsAnsweredOnItsOwnThread() throws Exception {
        Set<Integer> used = new HashSet<>();
        for (EventExecutor loop : loops) {
            CompletableFuture<String> answeredOn = new CompletableFuture<>();
            int index = loop.submit(() -> {
                var connection = redis.current();
                connection.commands().ping().subscribe(pong -> answeredOn.complete(Thread.currentThread().getName()),
                        answeredOn::completeExceptionally);
                return connection.index();
            }).get(5, TimeUnit.SECONDS);
            used.add(index);

            String loopThread = loop.submit(() -> Thread.currentThread().getName()).get(5, TimeUnit.SECONDS);
            assertThat(answeredOn.get(5, TimeUnit.SECONDS)).as("the reply comes back to the loop that sent").isEqualTo(loopThread);
            assertThat(loop.submit(() -> redis.all().get(index).inLoop()).get(5, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(used).as("a connection of its own for each loop").containsExactlyInAnyOrder(0, 1);
    }

    @Test
    void offTheLoopsTheFirstConnectionIsUsedFromItsLoop() {
        var connection = redis.current();

        assertThat(connection).isSameAs(redis.all().get(0));
        assertThat(connection.inLoop()).isFalse();
        String answeredOn = Mono.defer(() -> connection.commands().ping())
                .subscribeOn(connection.loop())
                .map(pong -> Thread.currentThread().getName())
                .block(Duration.ofSeconds(5));
        assertThat(answeredOn).isNotEqualTo(Thread.currentThread().getName());
        assertThat(redis.all().get(1).commands()).as("every loop is connected").isNotNull();
    }
}
