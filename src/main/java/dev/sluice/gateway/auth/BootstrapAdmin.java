package dev.sluice.gateway.auth;

import java.time.Duration;
import java.util.UUID;
import java.util.regex.Pattern;

import dev.sluice.gateway.config.InvalidConfigurationException;
import dev.sluice.gateway.web.GatewayException;
import dev.sluice.gateway.web.Ids;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Makes {@code sluice.auth.bootstrap-admin} an admin once the application has started: the account is created
 * with the role ADMIN when no account has its email. When one does, it is an admin already (nothing changes,
 * its password included), or it is not, and then it is promoted only if the configured password opens it,
 * which proves the operator owns it. Anything else means someone else registered that email, perhaps to be
 * made admin by it (issue 12): the gateway refuses to start, saying so, rather than hand them the role, or
 * start without the admin the operator asked for. The password may be given as its BCrypt hash
 * ({@code {bcrypt}$2a$...}); an existing account is then promoted only if it holds that very hash.
 */
@Component
class BootstrapAdmin implements ApplicationRunner {

    static final String PROPERTY = "sluice.auth.bootstrap-admin";
    private static final String HASH_PREFIX = "{bcrypt}";
    private static final Pattern BCRYPT = Pattern.compile("\\$2[abxy]?\\$\\d{2}\\$[./A-Za-z0-9]{53}");
    /** Startup only, on the main thread: waiting here is fine, and a database that never answers fails the start. */
    private static final Duration STARTUP_WAIT = Duration.ofSeconds(60);
    private static final Log logger = LogFactory.getLog(BootstrapAdmin.class);

    private final AuthProperties.BootstrapAdmin admin;
    private final DatabaseClient database;
    private final Passwords passwords;
    private final Accounts accounts;

    BootstrapAdmin(AuthProperties properties, DatabaseClient database, Passwords passwords, Accounts accounts) {
        this.admin = properties.bootstrapAdmin();
        this.database = database;
        this.passwords = passwords;
        this.accounts = accounts;
    }

    @Override
    public void run(ApplicationArguments arguments) {
        if (admin == null || (blank(admin.email()) && blank(admin.password()))) {
            return;
        }
        String email;
        try {
            email = Accounts.checkEmail(admin.email());
            if (!isHash(admin.password())) {
                Accounts.checkPassword(admin.password());
            }
        }
        catch (GatewayException invalid) {
            throw new InvalidConfigurationException(PROPERTY + "." + invalid.param(), invalid.getMessage()
                    .substring(invalid.param().length() + 2));
        }
        if (admin.password().strip().toLowerCase(java.util.Locale.ROOT).startsWith("change-me")) {
            throw new InvalidConfigurationException(PROPERTY + ".password", "is the placeholder shipped in .env.example;"
                    + " choose the admin's own password (or give its BCrypt hash as {bcrypt}$2a$...)");
        }
        if (isHash(admin.password()) && !BCRYPT.matcher(hash()).matches()) {
            throw new InvalidConfigurationException(PROPERTY + ".password",
                    "starts with {bcrypt} but what follows is not a BCrypt hash ($2a$10$ and 53 characters)");
        }
        database.sql("SELECT id, password_hash, role FROM users WHERE email = :email")
                .bind("email", email)
                .map((row, metadata) -> new Existing(row.get("id", UUID.class), row.get("password_hash", String.class),
                        row.get("role", String.class)))
                .one()
                .flatMap(existing -> existing(email, existing).thenReturn(true))
                .switchIfEmpty(Mono.defer(() -> create(email)).thenReturn(true))
                .block(STARTUP_WAIT);
    }

    private Mono<Void> create(String email) {
        Mono<String> hash = isHash(admin.password()) ? Mono.just(hash()) : passwords.hash(admin.password());
        return hash.flatMap(stored -> accounts.insert(Ids.uuid(), email, stored, Caller.Role.ADMIN))
                .doOnSuccess(done -> logger.info("Created the bootstrap admin " + email));
    }

    private Mono<Void> existing(String email, Existing account) {
        if (Caller.Role.ADMIN.name().equals(account.role())) {
            logger.info("The bootstrap admin " + email + " exists already; left as it is");
            return Mono.empty();
        }
        Mono<Boolean> owned = isHash(admin.password()) ? Mono.just(hash().equals(account.hash()))
                : passwords.matches(admin.password(), account.hash());
        return owned.flatMap(mine -> {
            if (!mine) {
                return Mono.error(new InvalidConfigurationException(PROPERTY + ".email", "an account with " + email
                        + " exists already, is not an admin, and the configured password does not open it: someone"
                        + " may have registered it to become admin. It is not promoted. Use another email for the"
                        + " bootstrap admin, then remove or promote that account (PUT /api/v1/admin/users/"
                        + account.id() + "/role)"));
            }
            logger.warn("Promoting the existing account " + email + " to ADMIN: it is sluice.auth.bootstrap-admin"
                    + " and the configured password opens it. Remove the setting for a demotion to outlast a restart");
            return database.sql("UPDATE users SET role = :role WHERE id = :id")
                    .bind("role", Caller.Role.ADMIN.name()).bind("id", account.id())
                    .then();
        });
    }

    private String hash() {
        return admin.password().substring(HASH_PREFIX.length());
    }

    private static boolean isHash(String password) {
        return password != null && password.startsWith(HASH_PREFIX);
    }

    private static boolean blank(String text) {
        return text == null || text.isBlank();
    }

    private record Existing(UUID id, String hash, String role) {
    }
}
