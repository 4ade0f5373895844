package dev.sluice.gateway.auth;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Who may call the gateway ({@code sluice.auth.*}).
 *
 * @param anonymous let requests without a valid credential in as the anonymous user; embedded default only, never in prod
 * @param jwtSecret HS256 secret for access tokens, at least 32 bytes; required in prod (the embedded default makes one up per start)
 * @param adminEmails accounts with these emails get the ADMIN role
 * @param issuer the {@code iss} of access tokens, checked on every token
 * @param tokenTtl how long an access token is valid
 */
@Validated
@ConfigurationProperties("sluice.auth")
public record AuthProperties(
        boolean anonymous,
        String jwtSecret,
        List<String> adminEmails,
        @DefaultValue("sluice") @NotBlank String issuer,
        @DefaultValue("1h") @NotNull Duration tokenTtl) {

    public AuthProperties {
        adminEmails = adminEmails == null ? List.of()
                : adminEmails.stream().map(email -> email.trim().toLowerCase(Locale.ROOT)).toList();
    }

    public Caller.Role roleOf(String email) {
        return adminEmails.contains(email) ? Caller.Role.ADMIN : Caller.Role.USER;
    }
}
