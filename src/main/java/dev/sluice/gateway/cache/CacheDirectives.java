package dev.sluice.gateway.cache;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

import dev.sluice.gateway.web.GatewayException;

/**
 * What a request's {@code Cache-Control} header asks of the cache: {@code no-cache} (do not answer from it),
 * {@code no-store} (do not keep this reply) and {@code max-age=N} (an answer at most N seconds old; opts in where
 * the policy needs it, and bounds how long this reply is kept). Other directives mean nothing to a chat request
 * and are ignored, as HTTP caches ignore the ones they do not know.
 *
 * @param maxAge the {@code max-age}, or {@code null} when not given
 */
public record CacheDirectives(boolean noCache, boolean noStore, Duration maxAge) {

    public static final CacheDirectives NONE = new CacheDirectives(false, false, null);
    private static final int MAX_HEADER = 1024;

    /** Reads every {@code Cache-Control} header of a request; a malformed {@code max-age} is a 400. */
    public static CacheDirectives parse(List<String> headers) {
        if (headers == null || headers.isEmpty()) {
            return NONE;
        }
        boolean noCache = false;
        boolean noStore = false;
        Duration maxAge = null;
        for (String header : headers) {
            if (header.length() > MAX_HEADER) {
                throw GatewayException.invalid("Cache-Control", "header longer than " + MAX_HEADER + " characters");
            }
            for (String part : header.split(",")) {
                String directive = part.trim().toLowerCase(Locale.ROOT);
                if (directive.equals("no-cache")) {
                    noCache = true;
                }
                else if (directive.equals("no-store")) {
                    noStore = true;
                }
                else if (directive.startsWith("max-age")) {
                    Duration age = maxAge(directive);
                    maxAge = maxAge == null || age.compareTo(maxAge) < 0 ? age : maxAge;
                }
            }
        }
        return new CacheDirectives(noCache, noStore, maxAge);
    }

    /** {@code max-age=N}, N whole seconds (quoted is allowed); beyond what a long holds means "for ever". */
    private static Duration maxAge(String directive) {
        int equals = directive.indexOf('=');
        String value = equals < 0 ? "" : directive.substring(equals + 1).trim();
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            value = value.substring(1, value.length() - 1);
        }
        if (equals < 0 || !directive.substring(0, equals).trim().equals("max-age") || value.isEmpty()
                || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw GatewayException.invalid("Cache-Control", "max-age must be a whole number of seconds, e.g. max-age=600");
        }
        return value.length() > 12 ? Duration.ofSeconds(999_999_999_999L) : Duration.ofSeconds(Long.parseLong(value));
    }

    /** Whether an entry may answer: not excluded by {@code no-cache} nor by {@code max-age=0}. */
    boolean mayLookUp() {
        return !noCache && (maxAge == null || !maxAge.isZero());
    }

    /** Whether the caller opted in with a positive {@code max-age}. */
    boolean optedIn() {
        return maxAge != null && !maxAge.isZero();
    }
}
