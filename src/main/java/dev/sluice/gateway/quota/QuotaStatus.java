package dev.sluice.gateway.quota;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * {@code GET /api/v1/quota}: where the caller stands today, per quota. With quotas switched off
 * ({@code sluice.quotas.enabled=false}) only {@code "enabled": false}: nothing is counted, so there is nothing to show.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record QuotaStatus(boolean enabled, Dimension requests, Dimension tokens) {

    static final QuotaStatus DISABLED = new QuotaStatus(false, null, null);

    static QuotaStatus of(QuotaLedger.DailyUsage usage, Instant resetsAt) {
        String resets = resetsAt.toString();
        return new QuotaStatus(true,
                new Dimension(usage.requests(), null, usage.requestLimit(),
                        Math.max(0, usage.requestLimit() - usage.requests()), resets),
                new Dimension(usage.tokens(), usage.reservedTokens(), usage.tokenLimit(),
                        Math.max(0, usage.tokenLimit() - usage.tokens() - usage.reservedTokens()), resets));
    }

    /**
     * One quota, as the replica answering sees it: exact for its own blocks; another replica's block counts at what it
     * holds until that replica writes it back (within {@code sluice.quotas.leases.idle} of its last use, and every
     * {@code leases.term} while in use). So requests' {@code used} may run ahead of the real count by the requests
     * other replicas hold unused, and tokens' recent usage on other replicas shows under {@code reserved} until it is
     * written; {@code remaining} is what this replica can still let through.
     *
     * @param used spent today (requests: let through, and held unused in other replicas' blocks)
     * @param reserved held for requests still streaming and by other replicas' blocks (tokens only), settled to the real
     *        usage when they are written back
     * @param limit the day's limit for this user
     * @param remaining what is left: the limit less what is used and reserved
     * @param resetsAt the next 00:00 UTC, ISO-8601
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Dimension(long used, Long reserved, long limit, long remaining, @JsonProperty("resets_at") String resetsAt) {
    }
}
