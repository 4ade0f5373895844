package dev.sluice.gateway.auth;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.UUID;

import dev.sluice.gateway.auth.apikey.ApiKeys;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import dev.sluice.gateway.web.Ids;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * Invite codes for {@code sluice.auth.registration=invite}: an admin makes one ({@code POST /api/v1/admin/invites}),
 * hands it to one person, who registers with it once before it expires. Stored as a SHA-256, like API keys.
 */
@Component
class Invites {

    static final String PREFIX = "inv-";

    private final DatabaseClient database;
    private final Duration ttl;
    private final SecureRandom random;

    Invites(DatabaseClient database, AuthProperties properties) throws NoSuchAlgorithmException {
        this.database = database;
        this.ttl = properties.inviteTtl();
        // As for API keys: seeded once here, so that drawing a code never waits for the OS's entropy on an event loop.
        this.random = SecureRandom.getInstance("DRBG");
        this.random.nextBytes(new byte[8]);
    }

    Mono<Invite> create(Caller admin) {
        byte[] secret = new byte[24];
        random.nextBytes(secret);
        String code = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        UUID id = Ids.uuid();
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        OffsetDateTime expires = now.plus(ttl);
        return database.sql("""
                        INSERT INTO invites (id, code_hash, created_by, created_at, expires_at)
                        VALUES (:id, :hash, :admin, :now, :expires)""")
                .bind("id", id).bind("hash", ApiKeys.sha256(code)).bind("admin", admin.id()).bind("now", now)
                .bind("expires", expires)
                .then()
                .thenReturn(new Invite(id, code, expires));
    }

    /** Uses up the code for this new account, or refuses with a 403 when it is unknown, used or expired. */
    Mono<Void> claim(String code, UUID account) {
        if (code == null || !code.startsWith(PREFIX) || code.length() > 100) {
            return Mono.error(refused());
        }
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        return database.sql("""
                        UPDATE invites SET used_at = :now, used_by = :account
                        WHERE code_hash = :hash AND used_at IS NULL AND expires_at > :now""")
                .bind("now", now).bind("account", account).bind("hash", ApiKeys.sha256(code))
                .fetch().rowsUpdated()
                .flatMap(updated -> updated == 1 ? Mono.<Void>empty() : Mono.error(refused()));
    }

    /** Gives the code back when the account it was claimed for could not be made (its email was taken, say). */
    Mono<Void> release(String code, UUID account) {
        return database.sql("UPDATE invites SET used_at = NULL, used_by = NULL WHERE code_hash = :hash AND used_by = :account")
                .bind("hash", ApiKeys.sha256(code)).bind("account", account)
                .then();
    }

    private static GatewayException refused() {
        return new GatewayException(ErrorCode.FORBIDDEN,
                "Registration needs a valid invite code (\"invite\"): ask an admin for one", "invite", null);
    }

    /** A new invite: {@code code} is shown this once. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Invite(UUID id, String code, OffsetDateTime expiresAt) {

        @Override
        public String toString() {
            return "Invite[id=" + id + "]";
        }
    }
}
