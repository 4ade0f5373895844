package dev.sluice.gateway.ratelimit;

import java.time.Duration;
import java.util.List;

import dev.sluice.gateway.config.InvalidConfigurationException;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Positive;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Request rate limits ({@code sluice.limits.*}), enforced on {@code /v1/**} and {@code /api/v1/**}.
 *
 * @param perIp the budget of one client address, whoever it is; covers register and login against brute force (default 120 a minute)
 * @param perUser the budget of one account, over all its addresses, tokens and keys (default 60 a minute), and how many chats it may have in flight at once on one replica (default 20)
 * @param perEndUser the budget of one end user of a key or account, inside the key's own, when {@code sluice.auth.end-users.enabled} (default 60 a minute)
 * @param trustedProxies CIDR blocks of proxies whose {@code X-Forwarded-For} is believed (default {@code 127.0.0.1/32}); empty trusts none
 * @param redisTimeout how long a decision may wait for Redis (default 1s); a later answer from a Redis busy with others refuses the request (429, retry in 1 s), from one that answers nothing this replica decides alone
 * @param enabled whether requests are limited at all (default true); off for a gateway behind another limiter
 */
@Validated
@ConfigurationProperties("sluice.limits")
public record RateLimitProperties(@Valid Limit perIp, @Valid UserLimit perUser, @Valid Limit perEndUser, List<String> trustedProxies,
        @DefaultValue("1s") Duration redisTimeout, @DefaultValue("true") boolean enabled) {

    static final int DEFAULT_PER_IP = 120;
    static final int DEFAULT_PER_USER = 60;
    static final int DEFAULT_PER_END_USER = 60;
    static final int DEFAULT_MAX_CONCURRENT_STREAMS = 20;

    public RateLimitProperties {
        perIp = perIp == null ? new Limit(DEFAULT_PER_IP) : perIp;
        perUser = perUser == null ? new UserLimit(DEFAULT_PER_USER, null) : perUser;
        perEndUser = perEndUser == null ? new Limit(DEFAULT_PER_END_USER) : perEndUser;
        trustedProxies = trustedProxies == null ? List.of("127.0.0.1/32") : List.copyOf(trustedProxies);
        redisTimeout = redisTimeout == null ? Duration.ofSeconds(1) : redisTimeout;
        if (redisTimeout.isNegative() || redisTimeout.isZero()) {
            throw new InvalidConfigurationException("sluice.limits.redis-timeout", "must be longer than 0s");
        }
        for (String block : trustedProxies) {
            if (IpNetwork.parse(block) == null) {
                throw new InvalidConfigurationException("sluice.limits.trusted-proxies",
                        "'" + block + "' is not an IP address or CIDR block such as 10.0.0.0/8 or fd00::/8");
            }
        }
    }

    /** The defaults, as a test or a tool without Spring gets them. */
    public static RateLimitProperties defaults() {
        return new RateLimitProperties(null, null, null, null, null, true);
    }

    /** Requests a minute one key of {@code scope} may make; 0 for a {@link LimitScope#sized} scope, whose keys say. */
    int requestsPerMinute(LimitScope scope) {
        return switch (scope) {
            case PER_IP -> perIp.requestsPerMinute();
            case PER_USER -> perUser.requestsPerMinute();
            case PER_END_USER -> perEndUser.requestsPerMinute();
            case PER_KEY, PER_KEY_TOKENS -> 0;
        };
    }

    List<IpNetwork> trustedProxyNetworks() {
        return trustedProxies.stream().map(IpNetwork::parse).toList();
    }

    /**
     * One budget.
     *
     * @param requestsPerMinute requests allowed a minute; the whole minute's budget may be spent in a burst
     */
    public record Limit(@Positive @Max(1_000_000_000) int requestsPerMinute) {
    }

    /**
     * An account's budget.
     *
     * @param requestsPerMinute requests allowed a minute; the whole minute's budget may be spent in a burst
     * @param maxConcurrentStreams chats (streamed or not) one account may have in flight at once, per replica; beyond, 429 (default 20)
     */
    public record UserLimit(@Positive @Max(1_000_000_000) int requestsPerMinute, @Positive Integer maxConcurrentStreams) {

        public UserLimit {
            maxConcurrentStreams = maxConcurrentStreams == null ? DEFAULT_MAX_CONCURRENT_STREAMS : maxConcurrentStreams;
        }
    }
}
