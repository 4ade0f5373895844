package dev.sluice.gateway.chat;

import java.time.Duration;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Limits and pacing of chat requests ({@code sluice.chat.*}).
 *
 * @param maxMessages most messages one request may carry
 * @param maxContentChars most characters of message content one request may carry, all messages together
 * @param heartbeat how often an SSE comment is sent on a stream, so proxies neither buffer nor cut it while the upstream is silent
 * @param maxReplyBytes most bytes of reply (text and tool-call arguments, UTF-8) one request may receive; a longer
 *        reply is stopped with an error and its upstream call cancelled
 */
@Validated
@ConfigurationProperties("sluice.chat")
public record ChatProperties(
        @DefaultValue("1000") @Positive int maxMessages,
        @DefaultValue("1000000") @Positive int maxContentChars,
        @DefaultValue("15s") @NotNull Duration heartbeat,
        @DefaultValue("1048576") @Positive long maxReplyBytes) {
}
