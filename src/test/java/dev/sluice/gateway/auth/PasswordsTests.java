package dev.sluice.gateway.auth;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/** A full hashing pool refuses more work as a 503 with Retry-After, never as a 500. */
class PasswordsTests {

    @Test
    void aPasswordCheckThatFindsTheQueueFullIsA503WithRetryAfter() throws InterruptedException {
        Scheduler pool = Schedulers.newBoundedElastic(1, 1, "passwords-tests");
        Passwords passwords = new Passwords(4, pool);
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try {
            Mono.fromRunnable(() -> {
                busy.countDown();
                await(release);
            }).subscribeOn(pool).subscribe();
            assertThat(busy.await(10, TimeUnit.SECONDS)).as("the only thread is taken").isTrue();
            passwords.matches("queued", null).subscribe(); // the only place in the queue

            StepVerifier.create(passwords.matches("one too many", null))
                    .expectErrorSatisfies(failure -> {
                        assertThat(failure).isInstanceOf(GatewayException.class);
                        GatewayException refused = (GatewayException) failure;
                        assertThat(refused.code()).as("busy, not broken").isEqualTo(ErrorCode.OVERLOADED);
                        assertThat(refused.retryAfter()).isEqualTo(Duration.ofSeconds(1));
                    })
                    .verify(Duration.ofSeconds(10));
        }
        finally {
            release.countDown();
            pool.dispose();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        }
        catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
