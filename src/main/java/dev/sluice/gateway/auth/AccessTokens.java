package dev.sluice.gateway.auth;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;

import javax.crypto.SecretKey;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.sluice.gateway.config.InvalidConfigurationException;
import io.jsonwebtoken.Claims;
import io.jsonwebtoken.JwtException;
import io.jsonwebtoken.JwtParser;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.Keys;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * Issues and checks access tokens: HS256 JWTs with issuer, subject (the account id), email, role and
 * expiry. Anything else (another algorithm, {@code alg=none}, a wrong signature or issuer, an expired or
 * malformed token, one without subject or expiry) is refused.
 * <p>
 * A client sends the same token with every request for an hour: a token that checked out is remembered until
 * it expires (a bounded number of them), so that only its first request pays for the signature and the parse.
 */
@Component
public class AccessTokens {

    private static final Log logger = LogFactory.getLog(AccessTokens.class);
    private static final int REMEMBERED_TOKENS = 10_000;

    private final AuthProperties properties;
    private final SecretKey key;
    private final JwtParser parser;
    private final Cache<String, Verified> verified;

    public AccessTokens(AuthProperties properties, Environment environment) {
        this.properties = properties;
        this.key = Keys.hmacShaKeyFor(secret(properties, environment.matchesProfiles("prod")));
        this.parser = Jwts.parser().verifyWith(key).requireIssuer(properties.issuer()).build();
        this.verified = Caffeine.newBuilder()
                .maximumSize(REMEMBERED_TOKENS)
                .expireAfterWrite(properties.tokenTtl())
                .build();
        warmUp();
    }

    /**
     * The first parse builds Jackson's deserializers for the claims under a lock; requests that arrive together after
     * startup (a page loading its data) would otherwise wait on it on event-loop threads. Done once here instead.
     */
    private void warmUp() {
        parser.parseSignedClaims(issue(new Caller(Caller.ANONYMOUS_ID, "warm-up", Caller.Role.USER, null)));
    }

    private static byte[] secret(AuthProperties properties, boolean production) {
        String configured = properties.jwtSecret();
        if (configured != null && !configured.isBlank()) {
            return JwtSecrets.checked(configured, production);
        }
        if (production) {
            throw new InvalidConfigurationException("sluice.auth.jwt-secret", "is required in prod: at least "
                    + JwtSecrets.MIN_BYTES + " random bytes (SLUICE_AUTH_JWT_SECRET; make one with `openssl rand -base64 48`)");
        }
        logger.info("No sluice.auth.jwt-secret set: access tokens are signed with a key made up for this run"
                + " and stop working when the gateway restarts");
        byte[] random = new byte[JwtSecrets.MIN_BYTES];
        new SecureRandom().nextBytes(random);
        return random;
    }

    public String issue(Caller caller) {
        Instant now = Instant.now();
        return Jwts.builder()
                .issuer(properties.issuer())
                .subject(caller.id().toString())
                .claim("email", caller.email())
                .claim("role", caller.role().name())
                .issuedAt(Date.from(now))
                .expiration(Date.from(now.plus(properties.tokenTtl())))
                .signWith(key, Jwts.SIG.HS256)
                .compact();
    }

    public long ttlSeconds() {
        return properties.tokenTtl().toSeconds();
    }

    /**
     * The caller a token stands for, or {@code null} when the token is not one of ours or no longer valid: it
     * must name an account ({@code sub}, never the anonymous user) and expire ({@code exp}). The role is the
     * token's claim at most: {@link Roles} confirms an ADMIN claim against the account, so a demotion holds
     * within seconds, and a promotion applies to the tokens issued after it.
     */
    public Caller verify(String token) {
        Verified known = verified.getIfPresent(token);
        if (known != null) {
            if (System.currentTimeMillis() < known.expiresAt()) {
                return known.caller();
            }
            verified.invalidate(token);
            return null;
        }
        try {
            Claims claims = parser.parseSignedClaims(token).getPayload();
            if (claims.getSubject() == null || claims.getExpiration() == null) {
                return null;
            }
            UUID id = UUID.fromString(claims.getSubject());
            if (Caller.ANONYMOUS_ID.equals(id)) {
                return null;
            }
            Caller.Role role = "ADMIN".equals(claims.get("role", String.class)) ? Caller.Role.ADMIN : Caller.Role.USER;
            Caller caller = new Caller(id, claims.get("email", String.class), role, null);
            verified.put(token, new Verified(caller, claims.getExpiration().getTime()));
            return caller;
        }
        catch (JwtException | IllegalArgumentException invalid) {
            return null;
        }
    }

    /** Looks like a JWT (three dot-separated parts) rather than an API key. */
    static boolean looksLikeJwt(String token) {
        int first = token.indexOf('.');
        int second = first < 0 ? -1 : token.indexOf('.', first + 1);
        return second > 0 && token.indexOf('.', second + 1) < 0;
    }

    private record Verified(Caller caller, long expiresAt) {
    }
}
