package dev.sluice.gateway.auth;

import java.time.Duration;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Who may call the gateway ({@code sluice.auth.*}).
 *
 * @param anonymous let requests without a valid credential in as the anonymous user; embedded default only, refused in prod
 * @param jwtSecret HS256 secret for access tokens, at least 32 bytes; required in prod, and no placeholder (the embedded default makes one up per start)
 * @param issuer the {@code iss} of access tokens, checked on every token
 * @param tokenTtl how long an access token is valid
 * @param registration who may sign up: {@code open} (anyone), {@code closed} (no one), {@code invite} (with a code an admin made)
 * @param bootstrapAdmin an admin account created at startup if absent; the only way to a first admin
 * @param inviteTtl how long an invite code made by an admin stays usable
 * @param lookupTimeout how long an API key or role lookup may wait for the database before the request gets a 503
 * @param passwordStrength BCrypt's log2 cost for new password hashes; 10 takes tens of milliseconds
 * @param endUsers whether a request may name the end user it is made for, whom {@code sluice.limits.per-end-user} then limits
 */
@Validated
@ConfigurationProperties("sluice.auth")
public record AuthProperties(
        boolean anonymous,
        String jwtSecret,
        @DefaultValue("sluice") @NotBlank String issuer,
        @DefaultValue("1h") @NotNull Duration tokenTtl,
        @DefaultValue("open") @NotNull Registration registration,
        BootstrapAdmin bootstrapAdmin,
        @DefaultValue("7d") @NotNull Duration inviteTtl,
        @DefaultValue("2s") @NotNull Duration lookupTimeout,
        @DefaultValue("10") @Min(4) @Max(31) int passwordStrength,
        @Valid EndUsers endUsers) {

    public AuthProperties {
        endUsers = endUsers == null ? new EndUsers(false, null) : endUsers;
    }

    @Override
    public String toString() {
        return "AuthProperties[anonymous=" + anonymous + ", issuer=" + issuer + ", registration=" + registration
                + ", bootstrapAdmin=" + bootstrapAdmin + "]"; // never the secret
    }

    /**
     * End users of an application that calls with one key: named by {@code X-Sluice-End-User}, else by the body's
     * {@code user} (OpenAI's field), and limited each by {@code sluice.limits.per-end-user}.
     *
     * @param enabled whether requests may name their end user (default false: {@code user} only goes upstream, as always)
     * @param maxLength the longest end user name accepted, in characters (default 256); longer is a 400
     */
    public record EndUsers(boolean enabled, @Positive @Max(10_000) Integer maxLength) {

        public EndUsers {
            maxLength = maxLength == null ? 256 : maxLength;
        }
    }

    /** Who may sign up with {@code POST /api/v1/auth/register}. */
    public enum Registration { OPEN, CLOSED, INVITE }

    /**
     * The first admin, from the environment.
     *
     * @param email the admin's email
     * @param password the admin's password, or its BCrypt hash as {@code {bcrypt}$2a$...}, so that no plain password need be stored
     */
    public record BootstrapAdmin(String email, String password) {

        @Override
        public String toString() {
            return "BootstrapAdmin[email=" + email + "]"; // never the password
        }
    }
}
