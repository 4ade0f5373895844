package dev.sluice.gateway.auth;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonProperty;
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

/** {@code POST /api/v1/auth/register} and {@code POST /api/v1/auth/login}. */
@Configuration(proxyBeanMethods = false)
class AuthEndpoint {

    private final Accounts accounts;
    private final AccessTokens tokens;
    private final JsonBody body;

    AuthEndpoint(Accounts accounts, AccessTokens tokens, JsonBody body) {
        this.accounts = accounts;
        this.tokens = tokens;
        this.body = body;
    }

    @Bean
    RouterFunction<ServerResponse> authRoutes() {
        return RouterFunctions.route()
                .POST("/api/v1/auth/register", this::register)
                .POST("/api/v1/auth/login", this::login)
                .add(MethodNotAllowed.otherThan(HttpMethod.POST, "/api/v1/auth/register"))
                .add(MethodNotAllowed.otherThan(HttpMethod.POST, "/api/v1/auth/login"))
                .build();
    }

    private Mono<ServerResponse> register(ServerRequest request) {
        return body.read(request, Registration.class)
                .flatMap(registration -> accounts.register(registration.email(), registration.password(), registration.invite()))
                .flatMap(caller -> ServerResponse.status(HttpStatus.CREATED)
                        .bodyValue(Map.of("id", caller.id(), "email", caller.email())));
    }

    private Mono<ServerResponse> login(ServerRequest request) {
        return body.read(request, Credentials.class)
                .flatMap(credentials -> accounts.login(credentials.email(), credentials.password()))
                .flatMap(caller -> ServerResponse.ok().bodyValue(new AccessToken(tokens.issue(caller), "bearer", tokens.ttlSeconds())));
    }

    record Credentials(String email, String password) {

        @Override
        public String toString() {
            return "Credentials[email=" + email + "]"; // never the password, not even in a debug log
        }
    }

    /** {@code invite}: the code an admin made, when registration is by invite. */
    record Registration(String email, String password, String invite) {

        @Override
        public String toString() {
            return "Registration[email=" + email + "]"; // never the password nor the invite
        }
    }

    record AccessToken(@JsonProperty("access_token") String accessToken, @JsonProperty("token_type") String tokenType,
            @JsonProperty("expires_in") long expiresIn) {
    }
}
