package dev.sluice.gateway.auth;

import java.time.Duration;

import dev.sluice.gateway.web.GatewayException;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Who a request names as its end user, and when it names none. */
class EndUsersTests {

    @Test
    void theHeaderWinsOverTheBodysUser() {
        EndUsers endUsers = endUsers(true);
        HttpHeaders headers = new HttpHeaders();
        headers.set(EndUsers.HEADER, "alice");

        assertThat(endUsers.of(headers, "bob")).isEqualTo("alice");
        assertThat(endUsers.of(new HttpHeaders(), "bob")).as("without the header, the body's user").isEqualTo("bob");
        assertThat(endUsers.of(new HttpHeaders(), null)).isNull();
    }

    @Test
    void whenDisabledNoEndUserIsReadEvenAMalformedOne() {
        HttpHeaders headers = new HttpHeaders();
        headers.set(EndUsers.HEADER, "x".repeat(1_000));

        assertThat(endUsers(false).of(headers, "bob")).isNull();
    }

    @Test
    void aLongBlankOrControlCharacterEndUserIsA400NamingWhereItCameFrom() {
        EndUsers endUsers = endUsers(true);
        assertThatThrownBy(() -> endUsers.of(new HttpHeaders(), "x".repeat(9))).isInstanceOf(GatewayException.class)
                .hasMessageStartingWith("user: must be at most 8 characters");
        HttpHeaders headers = new HttpHeaders();
        headers.set(EndUsers.HEADER, " ");
        assertThatThrownBy(() -> endUsers.of(headers, null)).hasMessageStartingWith(EndUsers.HEADER + ": must name");
        assertThatThrownBy(() -> endUsers.of(new HttpHeaders(), "a\u0007b")).hasMessageContaining("control characters");
    }

    private static EndUsers endUsers(boolean enabled) {
        return new EndUsers(new AuthProperties(false, null, "sluice", Duration.ofHours(1), AuthProperties.Registration.OPEN,
                null, Duration.ofDays(7), Duration.ofSeconds(1), 4, new AuthProperties.EndUsers(enabled, 8)));
    }
}
