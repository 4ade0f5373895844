package dev.sluice.gateway.quota;

import jakarta.validation.constraints.Max;
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
 * @param replyAllowance tokens held for the reply of a request that sets no {@code max_tokens}, until its real usage is known
 * @param maxPendingSettlements most settlements (a finished request's real usage) waiting for the database at once; past
 *        that they are dropped and counted, and what they held is released at the next reset
 * @param enabled whether chats are metered at all (default true); off, nothing is reserved or charged and
 *        {@code GET /api/v1/quota} says so, for a gateway whose spending is bounded elsewhere
 */
@Validated
@ConfigurationProperties("sluice.quotas")
public record QuotaProperties(
        @DefaultValue("500") @PositiveOrZero int dailyRequests,
        @DefaultValue("500000") @PositiveOrZero long dailyTokens,
        @DefaultValue("1000") @PositiveOrZero int replyAllowance,
        // A Phaser tracks them for the drain on shutdown, and it takes at most 65,535 parties.
        @DefaultValue("10000") @Positive @Max(60_000) int maxPendingSettlements,
        @DefaultValue("true") boolean enabled) {
}
