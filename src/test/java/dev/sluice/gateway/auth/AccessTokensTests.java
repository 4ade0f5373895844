package dev.sluice.gateway.auth;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Tokens that checked out are remembered, but never past their expiry, and only exactly as issued. */
class AccessTokensTests {

    private static final String SECRET = "access-tokens-tests-secret-0123456789abcdef";

    @Test
    void aRememberedTokenIsStillRefusedOnceItExpires() {
        // exp has whole seconds: a token issued for 2 s lives at least 1 s, time enough for the two checks below.
        AccessTokens tokens = tokens(Duration.ofSeconds(2));
        Caller caller = new Caller(UUID.randomUUID(), "ttl@example.com", Caller.Role.USER, null);
        String token = tokens.issue(caller);

        assertThat(tokens.verify(token)).isEqualTo(caller);
        assertThat(tokens.verify(token)).as("the second check, from memory").isEqualTo(caller);
        await("the token's expiry").atMost(Duration.ofSeconds(6)).pollInterval(Duration.ofMillis(50))
                .until(() -> tokens.verify(token) == null);
    }

    @Test
    void aTokenChangedAfterAnAcceptedOneIsRefused() {
        AccessTokens tokens = tokens(Duration.ofHours(1));
        Caller caller = new Caller(UUID.randomUUID(), "tamper@example.com", Caller.Role.USER, null);
        String token = tokens.issue(caller);
        assertThat(tokens.verify(token)).isEqualTo(caller);

        String signature = token.substring(token.lastIndexOf('.') + 1);
        String otherSignature = (signature.charAt(0) == 'A' ? 'B' : 'A') + signature.substring(1);
        assertThat(tokens.verify(token.substring(0, token.lastIndexOf('.') + 1) + otherSignature)).isNull();
    }

    @Test
    void theRoleFollowsTheConfigurationNotTheToken() {
        AccessTokens issuer = tokens(Duration.ofHours(1), List.of("boss@example.com"));
        String token = issuer.issue(new Caller(UUID.randomUUID(), "boss@example.com", Caller.Role.ADMIN, null));
        AccessTokens afterRestartWithoutAdmins = tokens(Duration.ofHours(1), List.of());

        assertThat(issuer.verify(token).role()).isEqualTo(Caller.Role.ADMIN);
        assertThat(afterRestartWithoutAdmins.verify(token).role()).isEqualTo(Caller.Role.USER);
    }

    private static AccessTokens tokens(Duration ttl) {
        return tokens(ttl, List.of());
    }

    private static AccessTokens tokens(Duration ttl, List<String> admins) {
        return new AccessTokens(new AuthProperties(false, SECRET, admins, "sluice", ttl), new MockEnvironment());
    }
}
