package dev.sluice.gateway.auth;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The role stored on each account, which a credential may only ever lower: a caller whose token or key says
 * ADMIN is an admin only while the account still is one. Looked up for admins only (users need no check, since
 * USER is the least a credential can claim), and remembered for {@link #REMEMBERED} so that an admin's busy
 * session does not cost a query per request; a role change drops it at once on this replica
 * ({@link #forget}), and other replicas see it within that time or sooner through {@code AuthInvalidations}.
 * When the database cannot answer, an ADMIN claim counts as USER: nothing is granted on a guess.
 */
@Component
public class Roles {

    static final Duration REMEMBERED = Duration.ofSeconds(5);
    private static final Log logger = LogFactory.getLog(Roles.class);

    private final DatabaseClient database;
    private final Duration timeout;
    private final List<Consumer<UUID>> changes = new CopyOnWriteArrayList<>();
    private final Cache<UUID, Caller.Role> stored = Caffeine.newBuilder()
            .maximumSize(10_000)
            .expireAfterWrite(REMEMBERED)
            .build();

    public Roles(DatabaseClient database, AuthProperties properties) {
        this.database = database;
        this.timeout = properties.lookupTimeout();
    }

    /** The caller with the role it really has now: never more than it claims, nor than its account holds. */
    public Mono<Caller> confirm(Caller caller) {
        if (!caller.isAdmin()) {
            return Mono.just(caller);
        }
        Caller.Role known = stored.getIfPresent(caller.id());
        Mono<Caller.Role> role = known != null ? Mono.just(known) : lookUp(caller.id());
        return role.map(current -> current == caller.role() ? caller
                : caller.withRole(current));
    }

    /**
     * Gives an account a role; empty when there is no such account (the anonymous user has none to give).
     * It holds on this replica at once, and on the others through {@link #onChange} or within {@link #REMEMBERED}.
     */
    Mono<Caller.Role> set(UUID user, Caller.Role role) {
        return database.sql("UPDATE users SET role = :role WHERE id = :id AND id <> :anonymous")
                .bind("role", role.name()).bind("id", user).bind("anonymous", Caller.ANONYMOUS_ID)
                .fetch().rowsUpdated()
                .filter(updated -> updated > 0)
                .map(updated -> {
                    forget(user);
                    changes.forEach(listener -> listener.accept(user));
                    return role;
                });
    }

    /** Drops what is remembered of this account's role, after it changed here or on another replica. */
    public void forget(UUID user) {
        stored.invalidate(user);
    }

    /** Tells {@code listener} the id of every account whose role changed on this replica. */
    public void onChange(Consumer<UUID> listener) {
        changes.add(listener);
    }

    private Mono<Caller.Role> lookUp(UUID user) {
        return database.sql("SELECT role FROM users WHERE id = :id")
                .bind("id", user)
                .map((row, metadata) -> Caller.Role.ADMIN.name().equals(row.get("role", String.class))
                        ? Caller.Role.ADMIN : Caller.Role.USER)
                .one()
                .defaultIfEmpty(Caller.Role.USER)
                .timeout(timeout)
                .onErrorResume(failure -> {
                    logger.warn("Could not confirm an admin's role, so it counts as USER for now: " + failure);
                    return Mono.just(Caller.Role.USER);
                })
                .doOnNext(role -> stored.put(user, role));
    }
}
