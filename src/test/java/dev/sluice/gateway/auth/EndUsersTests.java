package dev.sluice.gateway.auth;

import java.time.Duration;

import dev.sluice.gateway.web.GatewayException;
import org.junit.jupiter.api.Test;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.reactive.function.server.HandlerStrategies;
import org.springframework.web.reactive.function.server.ServerRequest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Who a request names as its end user, and when it names none. */
class EndUsersTests {

    @Test
    void theHeaderWinsOverTheBodysUser() {
        EndUsers endUsers = endUsers(true);
        assertThat(endUsers.of(request("alice"), "bob")).isEqualTo("alice");
        assertThat(endUsers.of(request(null), "bob")).as("without the header, the body's user").isEqualTo("bob");
        assertThat(endUsers.of(request(null), null)).isNull();
    }

    @Test
    void whenDisabledNoEndUserIsReadEvenAMalformedOne() {
        assertThat(endUsers(false).of(request("x".repeat(1_000)), "bob")).isNull();
    }

    @Test
    void aLongBlankOrControlCharacterEndUserIsA400NamingWhereItCameFrom() {
        EndUsers endUsers = endUsers(true);
        assertThatThrownBy(() -> endUsers.of(request(null), "x".repeat(9))).isInstanceOf(GatewayException.class)
                .hasMessageStartingWith("user: must be at most 8 characters");
        assertThatThrownBy(() -> endUsers.of(request(" "), null)).hasMessageStartingWith(EndUsers.HEADER + ": must name");
        assertThatThrownBy(() -> endUsers.of(request(null), "a\u0007b")).hasMessageContaining("control characters");
    }

    private static ServerRequest request(String endUserHeader) {
        MockServerHttpRequest.BaseBuilder<?> request = MockServerHttpRequest.post("/v1/chat/completions");
        if (endUserHeader != null) {
            request.header(EndUsers.HEADER, endUserHeader);
        }
        return ServerRequest.create(MockServerWebExchange.from(request), HandlerStrategies.withDefaults().messageReaders());
    }

    private static EndUsers endUsers(boolean enabled) {
        return new EndUsers(new AuthProperties(false, null, "sluice", Duration.ofHours(1), AuthProperties.Registration.OPEN,
                null, Duration.ofDays(7), Duration.ofSeconds(1), 4, new AuthProperties.EndUsers(enabled, 8)));
    }
}
