package dev.sluice.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;

import javax.crypto.SecretKey;

import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.Keys;

import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tokens that checked out are remembered, but never past their expiry, and only exactly as issued; a token must
 * name an account and expire.
 */
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
    void aTokenSignedWithTheSecretButWithoutSubjectOrExpiryOrForTheAnonymousUserIsRefused() {
        AccessTokens tokens = tokens(Duration.ofHours(1));
        SecretKey key = Keys.hmacShaKeyFor(SECRET.getBytes(StandardCharsets.UTF_8));
        Date later = Date.from(Instant.now().plusSeconds(600));
        String noSubject = Jwts.builder().issuer("sluice").claim("email", "x@example.com").expiration(later)
                .signWith(key).compact();
        String noExpiry = Jwts.builder().issuer("sluice").subject(UUID.randomUUID().toString()).signWith(key).compact();
        String anonymous = Jwts.builder().issuer("sluice").subject(Caller.ANONYMOUS_ID.toString()).expiration(later)
                .signWith(key).compact();
        String notAnId = Jwts.builder().issuer("sluice").subject("root").expiration(later).signWith(key).compact();

        assertThat(tokens.verify(noSubject)).as("no sub: once an NPE and a 500").isNull();
        assertThat(tokens.verify(noExpiry)).as("no exp: it would be good forever").isNull();
        assertThat(tokens.verify(anonymous)).as("the anonymous user has no tokens").isNull();
        assertThat(tokens.verify(notAnId)).isNull();
    }

    @Test
    void theRoleIsTheTokensClaimAtMostAndNeverComesFromTheEmail() {
        AccessTokens tokens = tokens(Duration.ofHours(1));
        String admin = tokens.issue(new Caller(UUID.randomUUID(), "ops@example.com", Caller.Role.ADMIN, null));
        String user = tokens.issue(new Caller(UUID.randomUUID(), "ops@example.com", Caller.Role.USER, null));

        assertThat(tokens.verify(admin).role()).as("confirmed against the account later, by Roles").isEqualTo(Caller.Role.ADMIN);
        assertThat(tokens.verify(user).role()).as("an admin-looking email is no admin").isEqualTo(Caller.Role.USER);
    }

    private static AccessTokens tokens(Duration ttl) {
        return new AccessTokens(new AuthProperties(false, SECRET, "sluice", ttl, AuthProperties.Registration.OPEN, null,
                Duration.ofDays(7), Duration.ofSeconds(1), 4, null), new MockEnvironment());
    }
}
