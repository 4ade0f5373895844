package dev.sluice.gateway.web;

import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * What the gateway accepts from clients and browsers ({@code sluice.web.*}).
 *
 * @param maxBodySize largest request body accepted; larger ones get 413
 * @param console the browser console served at {@code /}
 * @param cors which other origins' pages may call the APIs
 */
@ConfigurationProperties("sluice.web")
public record WebProperties(@DefaultValue("4MB") DataSize maxBodySize, @DefaultValue Console console,
        @DefaultValue Cors cors) {

    /**
     * The browser console.
     *
     * @param enabled whether {@code /} serves the console; off, the gateway serves its APIs only
     */
    public record Console(@DefaultValue("true") boolean enabled) {
    }

    /**
     * Cross-origin requests to {@code /v1/**} and {@code /api/v1/**}, for a frontend served from elsewhere.
     *
     * @param allowedOrigins origins (scheme, host and port, e.g. {@code https://chat.example.com}) whose pages may
     *     call the APIs; empty (the default), CORS is off and browsers refuse cross-origin calls
     */
    public record Cors(@DefaultValue List<String> allowedOrigins) {

        public boolean enabled() {
            return !allowedOrigins.isEmpty();
        }
    }
}
