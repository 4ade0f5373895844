package dev.sluice.gateway.auth;

import java.util.UUID;

import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.ReactiveSecurityContextHolder;
import org.springframework.security.core.context.SecurityContext;
import reactor.core.publisher.Mono;

/**
 * Who is calling: an account (by access token or personal API key), or the anonymous user of the embedded
 * default. It is the principal of every authenticated request.
 *
 * @param id the account's id; {@link #ANONYMOUS_ID} for the anonymous user
 * @param apiKeyId the personal API key used, or {@code null} for a token or anonymous access
 * @param scope what the API key may do; {@link KeyScope#NONE} for a token, anonymous access and an unscoped key
 */
public record Caller(UUID id, String email, Role role, UUID apiKeyId, KeyScope scope) {

    /** The account every anonymous request runs as; its row exists so that quotas can count it. */
    public static final UUID ANONYMOUS_ID = new UUID(0, 0);
    public static final Caller ANONYMOUS = new Caller(ANONYMOUS_ID, "anonymous", Role.USER, null);

    public Caller {
        scope = scope == null ? KeyScope.NONE : scope;
    }

    /** A caller without a key's scope: by access token, anonymous, or a key before its scope is known. */
    public Caller(UUID id, String email, Role role, UUID apiKeyId) {
        this(id, email, role, apiKeyId, KeyScope.NONE);
    }

    /** The same caller with another role. */
    public Caller withRole(Role newRole) {
        return new Caller(id, email, newRole, apiKeyId, scope);
    }

    public enum Role { USER, ADMIN }

    public boolean isAnonymous() {
        return ANONYMOUS_ID.equals(id);
    }

    public boolean isAdmin() {
        return role == Role.ADMIN;
    }

    /**
     * Whose end users the ones this caller names are: its API key's, else its account's, so that one application's
     * end users are not another's. Their rate limits and budgets are kept per owner and end user.
     */
    public UUID endUsersOwner() {
        return apiKeyId != null ? apiKeyId : id;
    }

    /** The caller of the request being served, from Spring Security's reactive context. */
    public static Mono<Caller> current() {
        return ReactiveSecurityContextHolder.getContext()
                .map(SecurityContext::getAuthentication)
                .map(Authentication::getPrincipal)
                .cast(Caller.class);
    }

    /**
     * The caller, when an admin; a 403 otherwise. The security rules already keep non-admins out of
     * {@code /api/v1/admin/**}; an endpoint that asks this holds even if they change.
     */
    public static Mono<Caller> currentAdmin() {
        return current()
                .filter(Caller::isAdmin)
                .switchIfEmpty(Mono.error(() -> new GatewayException(ErrorCode.FORBIDDEN, "Only admins may do this")));
    }
}
