package dev.sluice.gateway.web;

import java.time.Duration;
import java.util.List;

import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.reactive.CorsConfigurationSource;
import org.springframework.web.cors.reactive.UrlBasedCorsConfigurationSource;

/**
 * What a page from another origin may do with the APIs when {@code sluice.web.cors.allowed-origins} names its
 * origin: the methods and request headers the OpenAI, Anthropic and native APIs use, and the response headers that
 * say who served a reply and how much budget is left. No cookies are involved (credentials travel in headers), so
 * credentialed CORS stays off.
 */
public final class CorsPolicy {

    static final List<String> METHODS = List.of("GET", "POST", "PUT", "DELETE", "OPTIONS");
    static final List<String> REQUEST_HEADERS = List.of("Authorization", "Content-Type", "x-api-key",
            "anthropic-version", "Cache-Control", "X-Request-ID", "X-Sluice-End-User");
    static final List<String> EXPOSED_HEADERS = List.of("X-Request-ID", "X-Sluice-Provider", "X-Sluice-Attempts",
            "X-Sluice-Cache", "X-Sluice-Overhead-Ms", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
            "Retry-After");
    /** How long a browser may reuse a preflight's answer. */
    private static final Duration PREFLIGHT_MAX_AGE = Duration.ofHours(1);

    private CorsPolicy() {
    }

    /** The policy for {@code /v1/**} and {@code /api/v1/**}; only called when CORS is on. */
    public static CorsConfigurationSource of(WebProperties.Cors cors) {
        CorsConfiguration configuration = new CorsConfiguration();
        configuration.setAllowedOrigins(cors.allowedOrigins());
        configuration.setAllowedMethods(METHODS);
        configuration.setAllowedHeaders(REQUEST_HEADERS);
        configuration.setExposedHeaders(EXPOSED_HEADERS);
        configuration.setAllowCredentials(false);
        configuration.setMaxAge(PREFLIGHT_MAX_AGE);
        UrlBasedCorsConfigurationSource source = new UrlBasedCorsConfigurationSource();
        source.registerCorsConfiguration("/v1/**", configuration);
        source.registerCorsConfiguration("/api/v1/**", configuration);
        return source;
    }
}
