package dev.sluice.gateway.quota;

import java.time.Duration;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
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
 * @param replyAllowance the reply cap of a request that sets none ({@code max_tokens}, {@code max_completion_tokens}):
 *        held until its real usage is known, and sent upstream as its cap
 * @param maxPendingSettlements most settlements (a finished request's real usage) waiting for the database at once; past
 *        that they are dropped and counted, and what they held is released at the next reset
 * @param enabled whether chats are metered at all (default true); off, nothing is reserved or charged and
 *        {@code GET /api/v1/quota} says so, for a gateway whose spending is bounded elsewhere
 * @param reservationTimeout how long a chat waits for the database to answer its reservation before it counts as an
 *        outage of the quota store
 * @param outageAllowance what this replica lets through uncounted while the database cannot answer, per outage
 * @param settlementBackoff the wait before a settlement that could not reach the database is tried again; doubled
 *        after each failure
 * @param settlementMaxBackoff the longest wait between tries of settlements that could not reach the database
 * @param blocks how each replica takes a busy user's quota from the database ahead of need
 */
@Validated
@ConfigurationProperties("sluice.quotas")
public record QuotaProperties(
        @DefaultValue("500") @PositiveOrZero int dailyRequests,
        @DefaultValue("500000") @PositiveOrZero long dailyTokens,
        // Sent upstream as the reply cap, which no provider takes as 0.
        @DefaultValue("1000") @Positive int replyAllowance,
        // A Phaser tracks them for the drain on shutdown, and it takes at most 65,535 parties.
        @DefaultValue("10000") @Positive @Max(60_000) int maxPendingSettlements,
        @DefaultValue("true") boolean enabled,
        // As long as the pool's max-acquire-time: a reservation queued on a busy user's row under load is no outage.
        @DefaultValue("5s") @NotNull Duration reservationTimeout,
        @DefaultValue @NotNull @Valid OutageAllowance outageAllowance,
        @DefaultValue("100ms") @NotNull Duration settlementBackoff,
        @DefaultValue("5s") @NotNull Duration settlementMaxBackoff,
        @DefaultValue @NotNull @Valid Blocks blocks) {

    /**
     * A replica takes requests and tokens of a busy user's quota from the database in blocks and hands them out
     * itself, so that a chat costs no statement of its own; the database still decides every block, so replicas
     * together never let a user past a limit. A user's first request on a replica is reserved alone; each later
     * block doubles, up to {@code max-requests}, and none takes more than {@code share} of what is left of either
     * quota: near a limit, requests are reserved one by one again, exactly as without blocks. What a block did not
     * spend goes back when the user is idle for {@code idle}, and at the latest after {@code term}; a replica that
     * dies holding a block leaves it counted until the day ends.
     *
     * @param maxRequests the most requests one block holds; 1 reserves every request alone
     * @param share the largest fraction of what is left of a quota one block may take
     * @param idle a block unused this long goes back (also how often blocks are looked at)
     * @param term a block goes back this long after it was taken, used or not, so that the database's counts
     *        stay close to what was spent
     */
    public record Blocks(
            @DefaultValue("64") @Positive @Max(10_000) int maxRequests,
            @DefaultValue("0.1") @Positive @Max(1) double share,
            @DefaultValue("1s") @NotNull Duration idle,
            @DefaultValue("10s") @NotNull Duration term) {

        /** Blocks may take at most 1/spread of what is left. */
        int spread() {
            return (int) Math.ceil(1 / share);
        }
    }

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
}
