package dev.sluice.gateway.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every test runs under BlockHound, so a blocking call on a non-blocking thread fails the build. */
class BlockHoundTests {

    @Test
    void blockingOnANonBlockingThreadFailsTheTest() {
        // Blocking on purpose: parking a thread is what BlockHound must catch on a non-blocking one.
        Mono<String> parked = Mono.fromCallable(() -> {
            LockSupport.parkNanos(1_000);
            return "";
        }).subscribeOn(Schedulers.parallel());

        assertThatThrownBy(() -> parked.block(Duration.ofSeconds(5)))
                .hasCauseInstanceOf(BlockingOperationError.class);
    }
}
