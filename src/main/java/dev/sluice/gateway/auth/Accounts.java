package dev.sluice.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import dev.sluice.gateway.web.Ids;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Accounts: registering with an email and a password, and logging in with them. Registering always makes a
 * USER, whatever the email: admins come from {@code sluice.auth.bootstrap-admin} or another admin's grant.
 * Who may register at all is {@code sluice.auth.registration}.
 */
@Component
public class Accounts {

    private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]+");
    private static final int MIN_PASSWORD = 8;
    /** BCrypt reads at most 72 bytes; a longer password would be silently cut. */
    private static final int MAX_PASSWORD_BYTES = 72;

    private final DatabaseClient database;
    private final Passwords passwords;
    private final Invites invites;
    private final AuthProperties.Registration registration;
    private final LoginBackoff backoff = new LoginBackoff(Clock.systemUTC());

    public Accounts(DatabaseClient database, Passwords passwords, Invites invites, AuthProperties properties) {
        this.database = database;
        this.passwords = passwords;
        this.invites = invites;
        this.registration = properties.registration();
    }

    /** A new USER account; {@code invite} is read only when registration is by invite. */
    public Mono<Caller> register(String email, String password, String invite) {
        if (registration == AuthProperties.Registration.CLOSED) {
            return Mono.error(new GatewayException(ErrorCode.FORBIDDEN,
                    "Registration is closed on this gateway: ask its operators for an account"));
        }
        String normalized = checkEmail(email);
        checkPassword(password);
        UUID id = Ids.uuid();
        Mono<Caller> insert = passwords.hash(password)
                .flatMap(hash -> insert(id, normalized, hash, Caller.Role.USER))
                .onErrorMap(DataIntegrityViolationException.class, duplicate -> new GatewayException(ErrorCode.CONFLICT,
                        "email: an account with this email exists already", "email", null))
                .thenReturn(new Caller(id, normalized, Caller.Role.USER, null));
        if (registration == AuthProperties.Registration.OPEN) {
            return insert;
        }
        return invites.claim(invite, id)
                .then(insert.onErrorResume(failure -> invites.release(invite, id).onErrorResume(ignored -> Mono.empty())
                        .then(Mono.error(failure))));
    }

    /**
     * The account for these credentials; the same 401 whether the email or the password is wrong. After
     * repeated failures for one email, a 429 until its backoff has passed ({@link LoginBackoff}).
     */
    public Mono<Caller> login(String email, String password) {
        if (email == null || password == null || email.indexOf('\0') >= 0) {
            return Mono.error(badCredentials());
        }
        String normalized = email.trim().toLowerCase(Locale.ROOT);
        return Mono.fromRunnable(() -> backoff.check(normalized))
                .then(database.sql("SELECT id, password_hash, role FROM users WHERE email = :email")
                        .bind("email", normalized)
                        .map((row, metadata) -> new StoredPassword(row.get("id", UUID.class),
                                row.get("password_hash", String.class), row.get("role", String.class)))
                        .one())
                .defaultIfEmpty(StoredPassword.NONE)
                .flatMap(stored -> passwords.matches(password, stored.hash()).flatMap(matches -> {
                    if (!matches) {
                        backoff.failed(normalized);
                        return Mono.error(badCredentials());
                    }
                    backoff.succeeded(normalized);
                    return Mono.just(new Caller(stored.id(), normalized, stored.role(), null));
                }));
    }

    /** Stores an account whose checks are done. */
    Mono<Void> insert(UUID id, String email, String hash, Caller.Role role) {
        return database.sql("""
                        INSERT INTO users (id, email, password_hash, role, created_at)
                        VALUES (:id, :email, :hash, :role, :now)""")
                .bind("id", id).bind("email", email).bind("hash", hash).bind("role", role.name())
                .bind("now", OffsetDateTime.now(ZoneOffset.UTC))
                .then();
    }

    private static GatewayException badCredentials() {
        return new GatewayException(ErrorCode.UNAUTHORIZED, "Invalid email or password");
    }

    static String checkEmail(String email) {
        if (email == null || !EMAIL.matcher(email.trim()).matches() || email.length() > 320 || email.indexOf('\0') >= 0) {
            throw GatewayException.invalid("email", "must be an email address");
        }
        return email.trim().toLowerCase(Locale.ROOT);
    }

    static void checkPassword(String password) {
        if (password == null || password.length() < MIN_PASSWORD) {
            throw GatewayException.invalid("password", "must have at least " + MIN_PASSWORD + " characters");
        }
        if (password.indexOf('\0') >= 0) {
            throw GatewayException.invalid("password", "must not contain a NUL character");
        }
        if (password.getBytes(StandardCharsets.UTF_8).length > MAX_PASSWORD_BYTES) {
            throw GatewayException.invalid("password", "must be at most " + MAX_PASSWORD_BYTES + " bytes long");
        }
    }

    private record StoredPassword(UUID id, String hash, Caller.Role role) {

        static final StoredPassword NONE = new StoredPassword(null, null, Caller.Role.USER);

        StoredPassword(UUID id, String hash, String role) {
            this(id, hash, Caller.Role.ADMIN.name().equals(role) ? Caller.Role.ADMIN : Caller.Role.USER);
        }
    }
}
