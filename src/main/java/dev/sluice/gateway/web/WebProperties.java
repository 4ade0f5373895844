package dev.sluice.gateway.web;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Limits on what clients may send ({@code sluice.web.*}).
 *
 * @param maxBodySize largest request body accepted; larger ones get 413
 */
@ConfigurationProperties("sluice.web")
public record WebProperties(@DefaultValue("4MB") DataSize maxBodySize) {
}
