package dev.sluice.gateway.auth;

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

/** Accounts: registering with an email and a password, and logging in with them. */
@Component
public class Accounts {

    private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]+");
    private static final int MIN_PASSWORD = 8;
    /** BCrypt reads at most 72 bytes; a longer password would be silently cut. */
    private static final int MAX_PASSWORD_BYTES = 72;

    private final DatabaseClient database;
    private final Passwords passwords;
    private final AuthProperties properties;

    public Accounts(DatabaseClient database, Passwords passwords, AuthProperties properties) {
        this.database = database;
        this.passwords = passwords;
        this.properties = properties;
    }

    public Mono<Caller> register(String email, String password) {
        String normalized = checkEmail(email);
        checkPassword(password);
        UUID id = Ids.uuid();
        Caller.Role role = properties.roleOf(normalized);
        return passwords.hash(password).flatMap(hash -> database.sql("""
                        INSERT INTO users (id, email, password_hash, role, created_at)
                        VALUES (:id, :email, :hash, :role, :now)""")
                .bind("id", id).bind("email", normalized).bind("hash", hash).bind("role", role.name())
                .bind("now", OffsetDateTime.now(ZoneOffset.UTC))
                .then())
                .onErrorMap(DataIntegrityViolationException.class, duplicate -> new GatewayException(ErrorCode.CONFLICT,
                        "email: an account with this email exists already", "email", null))
                .thenReturn(new Caller(id, normalized, role, null));
    }

    /** The account for these credentials; the same 401 whether the email or the password is wrong. */
    public Mono<Caller> login(String email, String password) {
        if (email == null || password == null) {
            return Mono.error(badCredentials());
        }
        String normalized = email.trim().toLowerCase(Locale.ROOT);
        return database.sql("SELECT id, password_hash FROM users WHERE email = :email")
                .bind("email", normalized)
                .map((row, metadata) -> new StoredPassword(row.get("id", UUID.class), row.get("password_hash", String.class)))
                .one()
                .defaultIfEmpty(StoredPassword.NONE)
                .flatMap(stored -> passwords.matches(password, stored.hash()).flatMap(matches -> matches
                        ? Mono.just(new Caller(stored.id(), normalized, properties.roleOf(normalized), null))
                        : Mono.error(badCredentials())));
    }

    private static GatewayException badCredentials() {
        return new GatewayException(ErrorCode.UNAUTHORIZED, "Invalid email or password");
    }

    private static String checkEmail(String email) {
        if (email == null || !EMAIL.matcher(email.trim()).matches() || email.length() > 320) {
            throw GatewayException.invalid("email", "must be an email address");
        }
        return email.trim().toLowerCase(Locale.ROOT);
    }

    private static void checkPassword(String password) {
        if (password == null || password.length() < MIN_PASSWORD) {
            throw GatewayException.invalid("password", "must have at least " + MIN_PASSWORD + " characters");
        }
        if (password.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_PASSWORD_BYTES) {
            throw GatewayException.invalid("password", "must be at most " + MAX_PASSWORD_BYTES + " bytes long");
        }
    }

    private record StoredPassword(UUID id, String hash) {
        static final StoredPassword NONE = new StoredPassword(null, null);
    }
}
