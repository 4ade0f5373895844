package dev.sluice.gateway.cache;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import dev.sluice.gateway.config.InvalidConfigurationException;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Positive;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The response cache ({@code sluice.cache.*}): exact-match replies, in Redis when {@code spring.data.redis.url} is
 * set, in this replica's memory otherwise.
 *
 * @param enabled whether replies are cached at all (default true); off, requests pass by without a lookup or a header
 * @param ttl how long an entry lives (default 1h); a request's {@code Cache-Control: max-age} can only shorten it
 * @param maxEntryBytes the largest reply stored, encoded (default 262144); a longer one is served but not stored, and
 *        it is also the most a reply in flight keeps for identical requests that join it late (past it, they call anew)
 * @param when which requests are cached: {@code deterministic} (temperature 0, or opted in with
 *        {@code Cache-Control: max-age=N}), {@code always}, or {@code opt-in} (only with {@code max-age=N})
 * @param sharedAliases aliases whose entries are shared by every caller; all others are kept per user
 * @param keyPrefix prefix of every Redis key (default {@code sluice:cache:}); the admin clear removes exactly these
 * @param lookupTimeout how long a request waits for Redis before it goes upstream as a miss (default 100ms)
 * @param writeTimeout how long a write may take before it is given up (default 1s); writes are off the request path
 * @param maxPendingWrites writes waiting for Redis at once; past that, replies are not stored (default 1000)
 * @param localMaxBytes the in-process cache's size, encoded entries and keys (default 64MB), used without Redis
 */
@Validated
@ConfigurationProperties("sluice.cache")
public record CacheProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("1h") Duration ttl,
        @DefaultValue("262144") @Positive @Max(512 * 1024 * 1024) int maxEntryBytes,
        @DefaultValue("deterministic") When when,
        List<String> sharedAliases,
        @DefaultValue("sluice:cache:") String keyPrefix,
        @DefaultValue("100ms") Duration lookupTimeout,
        @DefaultValue("1s") Duration writeTimeout,
        @DefaultValue("1000") @Positive int maxPendingWrites,
        @DefaultValue("64MB") DataSize localMaxBytes) {

    /** Which requests are cached. */
    public enum When {
        /** Temperature 0, or opted in with {@code Cache-Control: max-age=N}. */
        DETERMINISTIC,
        /** Every request the caller does not exclude. */
        ALWAYS,
        /** Only requests with {@code Cache-Control: max-age=N}. */
        OPT_IN
    }

    public CacheProperties {
        sharedAliases = sharedAliases == null ? List.of() : List.copyOf(sharedAliases);
        keyPrefix = keyPrefix == null ? "sluice:cache:" : keyPrefix;
        requirePositive("sluice.cache.ttl", ttl);
        requirePositive("sluice.cache.lookup-timeout", lookupTimeout);
        requirePositive("sluice.cache.write-timeout", writeTimeout);
        if (keyPrefix.isBlank()) {
            // An empty prefix would make the admin clear remove every key in Redis, rate limits included.
            throw new InvalidConfigurationException("sluice.cache.key-prefix", "must not be empty");
        }
        if (localMaxBytes != null && localMaxBytes.toBytes() <= 0) {
            throw new InvalidConfigurationException("sluice.cache.local-max-bytes", "must be more than 0");
        }
    }

    /** The defaults, as a test or a tool without Spring gets them. */
    public static CacheProperties defaults() {
        return new CacheProperties(true, Duration.ofHours(1), 262_144, When.DETERMINISTIC, null, null,
                Duration.ofMillis(100), Duration.ofSeconds(1), 1000, DataSize.ofMegabytes(64));
    }

    Set<String> sharedAliasSet() {
        return Set.copyOf(sharedAliases);
    }

    private static void requirePositive(String name, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new InvalidConfigurationException(name, "must be longer than 0s");
        }
    }
}
