package dev.sluice.gateway.quota;

import java.time.Duration;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Daily quotas per user ({@code sluice.quotas.*}); they reset at 00:00 UTC. An admin can give one user other
 * limits ({@code PUT /api/v1/admin/users/{id}/quota}), which win over these defaults.
 *
 * @param dailyRequests chat requests a user may make per UTC day, unless an admin set other limits for them
 * @param dailyTokens tokens (prompt and reply) a user may spend per UTC day, unless an admin set other limits for them
 * @param replyAllowance the reply cap of a request that sets no {@code max_tokens}: held until its real usage is known,
 *        and sent upstream as its {@code max_tokens}
 * @param enabled whether chats are metered at all (default true); off, nothing is reserved or charged and
 *        {@code GET /api/v1/quota} says so, for a gateway whose spending is bounded elsewhere
 * @param reservationTimeout how long a chat waits for the database to answer its reservation before it counts as an
 *        outage of the quota store
 * @param outageAllowance what this replica lets through uncounted while the database cannot answer, per outage
 * @param settlementBackoff the wait before a lease's settlement that could not reach the database is tried again;
 *        doubled after each failure
 * @param settlementMaxBackoff the longest wait between tries of settlements that could not reach the database
 * @param leases how this replica takes users' quotas in blocks, so that most chats cost no statement
 */
@Validated
@ConfigurationProperties("sluice.quotas")
public record QuotaProperties(
        @DefaultValue("500") @PositiveOrZero int dailyRequests,
        @DefaultValue("500000") @PositiveOrZero long dailyTokens,
        // Sent upstream as max_tokens, which no provider takes as 0.
        @DefaultValue("1000") @Positive int replyAllowance,
        @DefaultValue("true") boolean enabled,
        // As long as the pool's max-acquire-time: a reservation queued on a busy user's row under load is no outage.
        @DefaultValue("5s") @NotNull Duration reservationTimeout,
        @DefaultValue @NotNull @Valid OutageAllowance outageAllowance,
        @DefaultValue("100ms") @NotNull Duration settlementBackoff,
        @DefaultValue("5s") @NotNull Duration settlementMaxBackoff,
        @DefaultValue @NotNull @Valid Leases leases) {

    /**
     * Chats one replica lets through, uncounted, while the quota database cannot answer (unreachable, or slower than
     * {@code reservation-timeout}); past either bound they get a 503 until it answers again, which restores the
     * allowance. Bounds what an outage can cost across all users, per replica.
     *
     * @param requests chat requests let through per outage
     * @param tokens tokens (estimated prompt and reply cap) those requests may hold together per outage
     */
    public record OutageAllowance(
            @DefaultValue("20") @PositiveOrZero int requests,
            @DefaultValue("20000") @PositiveOrZero long tokens) {
    }

    /**
     * Blocks of a user's daily quota that one replica takes from the database in one statement and serves requests
     * from in memory; what a block did not use is given back in one statement. A block grows with the demand the
     * replica sees (doubling, up to {@code max-requests}) and never takes more than a {@code share}-th of what is left
     * of the user's day, so that near the limit blocks shrink to exact single reservations and no replica strands
     * much of a small quota.
     *
     * @param maxRequests the most requests of one user one replica holds in a block
     * @param share a block takes at most this fraction (1/share) of the requests and tokens left of the user's day,
     *        beyond the requests waiting for it
     * @param idle a block not drawn on for this long gives back what it did not use; also how soon the other
     *        replicas see what it used
     * @param term a block is settled at least this often while it is used, so that the database never lags further
     *        behind, and an admin's new limits reach a replica this soon even without Redis
     * @param max users one replica holds a block for at once (memory is bounded); chats of further users get 503
     *        until some go idle
     */
    public record Leases(
            @DefaultValue("64") @Positive int maxRequests,
            @DefaultValue("8") @Positive int share,
            @DefaultValue("1s") @NotNull Duration idle,
            @DefaultValue("5s") @NotNull Duration term,
            @DefaultValue("50000") @Positive int max) {
    }
}
