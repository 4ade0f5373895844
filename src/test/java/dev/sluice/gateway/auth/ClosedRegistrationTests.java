package dev.sluice.gateway.auth;

import java.time.Duration;

import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/** With {@code sluice.auth.registration=closed} (prod's default), no one signs up, and nothing is even checked or stored. */
class ClosedRegistrationTests {

    @Test
    void aSignUpIsA403BeforeAnythingElse() {
        AuthProperties closed = new AuthProperties(false, null, "sluice", Duration.ofHours(1),
                AuthProperties.Registration.CLOSED, null, Duration.ofDays(7), Duration.ofSeconds(1), 4, null);
        Accounts accounts = new Accounts(null, null, null, closed);

        StepVerifier.create(accounts.register("ops@example.com", "a long password", null))
                .expectErrorSatisfies(failure -> {
                    assertThat(failure).isInstanceOf(GatewayException.class);
                    assertThat(((GatewayException) failure).code()).isEqualTo(ErrorCode.FORBIDDEN);
                    assertThat(failure.getMessage()).contains("Registration is closed");
                })
                .verify(Duration.ofSeconds(5));
    }
}
