package dev.sluice.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

import dev.sluice.gateway.config.InvalidConfigurationException;

/**
 * What a production JWT secret must be: long enough, not a placeholder shipped in the repository (anyone can
 * read those and sign an admin's token), and not obviously guessable. Length alone let the 44-byte example pass.
 */
final class JwtSecrets {

    static final int MIN_BYTES = 32;
    private static final String PROPERTY = "sluice.auth.jwt-secret";
    private static final String HOW = "make one with `openssl rand -base64 48` and set SLUICE_AUTH_JWT_SECRET";
    /** Values shipped in .env.example and k8s/secret.example.yaml, now and before. */
    private static final Set<String> SHIPPED = Set.of("change-me-to-at-least-32-bytes-of-randomness", "change-me-run-openssl-rand-base64-48");
    private static final int MIN_DISTINCT_CHARACTERS = 10;

    private JwtSecrets() {
    }

    /** The secret's bytes, or a failure saying what is wrong and how to make a good one. */
    static byte[] checked(String secret, boolean production) {
        byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < MIN_BYTES) {
            throw new InvalidConfigurationException(PROPERTY,
                    "must be at least " + MIN_BYTES + " bytes long (it is " + bytes.length + "): " + HOW);
        }
        if (production) {
            String problem = problem(secret);
            if (problem != null) {
                throw new InvalidConfigurationException(PROPERTY, problem + ": " + HOW);
            }
        }
        return bytes;
    }

    /** Why a secret is unfit for production, or {@code null} when nothing obvious is wrong. */
    static String problem(String secret) {
        String trimmed = secret.strip();
        if (SHIPPED.contains(trimmed) || trimmed.toLowerCase(Locale.ROOT).startsWith("change-me")) {
            return "is the placeholder from the repository's examples, which anyone can read";
        }
        if (trimmed.codePoints().distinct().count() < MIN_DISTINCT_CHARACTERS) {
            return "has fewer than " + MIN_DISTINCT_CHARACTERS + " distinct characters, far too guessable";
        }
        if (repeats(trimmed)) {
            return "is a shorter text repeated, far too guessable";
        }
        return null;
    }

    /** Whether the text is one shorter piece over and over ("abcabcabc…", "passwordpassword…"). */
    private static boolean repeats(String text) {
        for (int period = 1; period <= text.length() / 2; period++) {
            if (text.regionMatches(0, text, period, text.length() - period)) {
                return true;
            }
        }
        return false;
    }
}
