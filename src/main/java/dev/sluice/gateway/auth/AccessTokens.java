package dev.sluice.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;

import javax.crypto.SecretKey;

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
 * malformed token) is refused.
 */
@Component
public class AccessTokens {

    private static final Log logger = LogFactory.getLog(AccessTokens.class);
    private static final int MIN_SECRET_BYTES = 32;

    private final AuthProperties properties;
    private final SecretKey key;
    private final JwtParser parser;

    public AccessTokens(AuthProperties properties, Environment environment) {
        this.properties = properties;
        this.key = Keys.hmacShaKeyFor(secret(properties, environment.matchesProfiles("prod")));
        this.parser = Jwts.parser().verifyWith(key).requireIssuer(properties.issuer()).build();
    }

    private static byte[] secret(AuthProperties properties, boolean production) {
        String configured = properties.jwtSecret();
        if (configured != null && !configured.isBlank()) {
            byte[] bytes = configured.getBytes(StandardCharsets.UTF_8);
            if (bytes.length < MIN_SECRET_BYTES) {
                throw new InvalidConfigurationException("sluice.auth.jwt-secret",
                        "must be at least " + MIN_SECRET_BYTES + " bytes long (it is " + bytes.length + ")");
            }
            return bytes;
        }
        if (production) {
            throw new InvalidConfigurationException("sluice.auth.jwt-secret",
                    "is required in prod: at least " + MIN_SECRET_BYTES + " random bytes (SLUICE_AUTH_JWT_SECRET)");
        }
        logger.info("No sluice.auth.jwt-secret set: access tokens are signed with a key made up for this run"
                + " and stop working when the gateway restarts");
        byte[] random = new byte[MIN_SECRET_BYTES];
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

    /** The caller a token stands for, or {@code null} when the token is not one of ours or no longer valid. */
    public Caller verify(String token) {
        try {
            Claims claims = parser.parseSignedClaims(token).getPayload();
            String email = claims.get("email", String.class);
            // The role follows the configuration, so removing an admin takes effect with their next token check.
            return new Caller(UUID.fromString(claims.getSubject()), email, properties.roleOf(email), null);
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
}
