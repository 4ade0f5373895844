package dev.sluice.gateway.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;

/**
 * Slows down password guessing against one account, whatever addresses the guesses come from (the per-IP
 * limit only sees one address at a time): after {@link #FREE_FAILURES} failed logins for an email within
 * {@link #WINDOW}, the next attempt must wait 2 s, and twice as long after each further failure, up to
 * {@link #MAX_WAIT}. A refused attempt costs no BCrypt. A successful login clears the count.
 * Unknown emails count the same, so the answer never tells whether an account exists. Per replica, and
 * bounded: the least recently failing emails are forgotten first.
 */
final class LoginBackoff {

    static final int FREE_FAILURES = 5;
    static final Duration WINDOW = Duration.ofMinutes(15);
    static final Duration MAX_WAIT = Duration.ofMinutes(5);
    private static final Duration FIRST_WAIT = Duration.ofSeconds(2);
    private static final int MAX_EMAILS = 100_000;

    private final Clock clock;
    private final Cache<String, Failures> failures;

    LoginBackoff(Clock clock) {
        this.clock = clock;
        this.failures = Caffeine.newBuilder()
                .maximumSize(MAX_EMAILS)
                .expireAfterWrite(WINDOW)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .build();
    }

    /** Refuses the attempt with a 429 and {@code Retry-After} while this email must wait. */
    void check(String email) {
        Failures known = failures.getIfPresent(email);
        if (known == null) {
            return;
        }
        long waitMillis = known.notBefore() - clock.millis();
        if (waitMillis > 0) {
            throw new GatewayException(ErrorCode.RATE_LIMITED, "Too many failed logins for this account; try again later",
                    null, Duration.ofMillis(waitMillis).plusMillis(999).truncatedTo(ChronoUnit.SECONDS));
        }
    }

    void failed(String email) {
        long now = clock.millis();
        failures.asMap().compute(email, (key, before) -> {
            int count = before == null ? 1 : before.count() + 1;
            return new Failures(count, count < FREE_FAILURES ? now : now + wait(count).toMillis());
        });
    }

    void succeeded(String email) {
        failures.invalidate(email);
    }

    private static Duration wait(int count) {
        int doublings = Math.min(count - FREE_FAILURES, 20);
        Duration wait = FIRST_WAIT.multipliedBy(1L << doublings);
        return wait.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : wait;
    }

    private record Failures(int count, long notBefore) {
    }
}
