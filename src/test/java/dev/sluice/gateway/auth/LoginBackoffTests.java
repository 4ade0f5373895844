package dev.sluice.gateway.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Failed logins for one email make the next attempts wait, longer each time, up to a bound. */
class LoginBackoffTests {

    private Instant now = Instant.parse("2026-12-01T12:00:00Z");
    private final LoginBackoff backoff = new LoginBackoff(new Clock() {
        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    });

    @Test
    void fiveFailuresAreFreeThenTheWaitDoublesUpToFiveMinutes() {
        for (int i = 0; i < 4; i++) {
            backoff.failed("a@example.com");
        }
        assertThatCode(() -> backoff.check("a@example.com")).as("four failures: no wait yet").doesNotThrowAnyException();
        backoff.failed("a@example.com");

        assertThat(retryAfter("a@example.com")).isEqualTo(Duration.ofSeconds(2));
        now = now.plusSeconds(2);
        assertThatCode(() -> backoff.check("a@example.com")).as("waited long enough").doesNotThrowAnyException();
        backoff.failed("a@example.com");
        assertThat(retryAfter("a@example.com")).as("growing").isEqualTo(Duration.ofSeconds(4));
        for (int i = 0; i < 30; i++) {
            backoff.failed("a@example.com");
        }
        assertThat(retryAfter("a@example.com")).as("bounded").isEqualTo(LoginBackoff.MAX_WAIT);
        assertThatCode(() -> backoff.check("b@example.com")).as("per account").doesNotThrowAnyException();
    }

    @Test
    void aSuccessOrAQuietWindowClearsTheCount() {
        for (int i = 0; i < 5; i++) {
            backoff.failed("a@example.com");
            backoff.failed("b@example.com");
        }
        backoff.succeeded("a@example.com");
        now = now.plus(LoginBackoff.WINDOW).plusSeconds(1);

        assertThatCode(() -> backoff.check("a@example.com")).doesNotThrowAnyException();
        backoff.failed("b@example.com");
        assertThatCode(() -> backoff.check("b@example.com")).as("the old failures expired with their window")
                .doesNotThrowAnyException();
    }

    private Duration retryAfter(String email) {
        GatewayException refused = catchThrowableOfType(GatewayException.class, () -> backoff.check(email));
        assertThat(refused.code()).isEqualTo(ErrorCode.RATE_LIMITED);
        return refused.retryAfter();
    }
}
