package dev.sluice.gateway.auth;

import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import dev.sluice.gateway.auth.apikey.ApiKeys;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import dev.sluice.gateway.web.JsonBody;
import dev.sluice.gateway.web.MethodNotAllowed;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * For admins: {@code PUT /api/v1/admin/users/{id}/role} {@code {"role": "ADMIN"|"USER"}} grants or revokes the
 * admin role, and {@code POST /api/v1/admin/invites} makes an invite code for {@code sluice.auth.registration=invite}.
 */
@Configuration(proxyBeanMethods = false)
class AdminAccountsEndpoint {

    private static final String ROLE = "/api/v1/admin/users/{id}/role";
    private static final String INVITES = "/api/v1/admin/invites";

    private final Roles roles;
    private final ApiKeys apiKeys;
    private final Invites invites;
    private final JsonBody body;

    AdminAccountsEndpoint(Roles roles, ApiKeys apiKeys, Invites invites, JsonBody body) {
        this.roles = roles;
        this.apiKeys = apiKeys;
        this.invites = invites;
        this.body = body;
    }

    @Bean
    RouterFunction<ServerResponse> adminAccountRoutes() {
        return RouterFunctions.route()
                .PUT(ROLE, this::setRole)
                .POST(INVITES, this::invite)
                .add(MethodNotAllowed.otherThan(HttpMethod.PUT, ROLE))
                .add(MethodNotAllowed.otherThan(HttpMethod.POST, INVITES))
                .build();
    }

    private Mono<ServerResponse> setRole(ServerRequest request) {
        return Caller.currentAdmin()
                .then(body.read(request, RoleChange.class))
                .flatMap(change -> {
                    UUID user = userId(request.pathVariable("id"));
                    Caller.Role role = change.parsed();
                    return roles.set(user, role)
                            .switchIfEmpty(Mono.error(() -> new GatewayException(ErrorCode.NOT_FOUND, "No user with id " + user)))
                            .doOnNext(changed -> apiKeys.forgetAccount(user))
                            .flatMap(changed -> ServerResponse.ok().bodyValue(Map.of("id", user, "role", changed.name())));
                });
    }

    private Mono<ServerResponse> invite(ServerRequest request) {
        return Caller.currentAdmin()
                .flatMap(invites::create)
                .flatMap(created -> ServerResponse.status(HttpStatus.CREATED).bodyValue(created));
    }


    private static UUID userId(String text) {
        try {
            return UUID.fromString(text);
        }
        catch (IllegalArgumentException notAnId) {
            throw new GatewayException(ErrorCode.NOT_FOUND, "No user with that id");
        }
    }

    /** {@code {"role": "ADMIN"|"USER"}}, in any case. */
    record RoleChange(String role) {

        Caller.Role parsed() {
            String text = role == null ? "" : role.strip().toUpperCase(Locale.ROOT);
            if (!text.equals(Caller.Role.ADMIN.name()) && !text.equals(Caller.Role.USER.name())) {
                throw GatewayException.invalid("role", "must be \"ADMIN\" or \"USER\"");
            }
            return Caller.Role.valueOf(text);
        }
    }
}
