package dev.sluice.gateway.routing.resilience;

import java.time.Duration;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;

/**
 * A provider's requests-per-minute and tokens-per-minute allowance, spent before each call so that the
 * gateway stops short of the provider's own limits instead of collecting 429s. Tokens are spent as an
 * estimate (prompt plus the reply's maximum), since the real count is known only afterwards.
 */
public final class Budget {

    private static final Budget UNLIMITED = new Budget(null, null);

    private final Bucket requests;
    private final Bucket tokens;

    private Budget(Bucket requests, Bucket tokens) {
        this.requests = requests;
        this.tokens = tokens;
    }

    public static Budget of(Integer requestsPerMinute, Integer tokensPerMinute) {
        if (requestsPerMinute == null && tokensPerMinute == null) {
            return UNLIMITED;
        }
        return new Budget(perMinute(requestsPerMinute), perMinute(tokensPerMinute));
    }

    /** Spends one request and {@code estimatedTokens}, or nothing when either allowance is short. */
    public boolean trySpend(long estimatedTokens) {
        if (tokens != null && !tokens.estimateAbilityToConsume(Math.max(1, estimatedTokens)).canBeConsumed()) {
            return false;
        }
        if (requests != null && !requests.tryConsume(1)) {
            return false;
        }
        return tokens == null || tokens.tryConsume(Math.max(1, estimatedTokens));
    }

    private static Bucket perMinute(Integer limit) {
        if (limit == null) {
            return null;
        }
        return Bucket.builder()
                .addLimit(Bandwidth.builder().capacity(limit).refillGreedy(limit, Duration.ofMinutes(1)).build())
                .build();
    }
}
