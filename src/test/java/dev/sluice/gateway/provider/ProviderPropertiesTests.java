package dev.sluice.gateway.provider;

import java.util.Map;

import dev.sluice.gateway.llm.ReplyOptions;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code sluice.providers.<name>.*} bound as operators write it. */
class ProviderPropertiesTests {

    @Test
    void aReplyCapTheCallerDidNotNameGoesAsMaxTokensUnlessTheOperatorSaysOtherwise() {
        assertThat(bind(Map.of("type", "openai")).replyCapParameter()).as("the name every OpenAI-compatible server reads")
                .isEqualTo(ReplyOptions.CapName.MAX_TOKENS);
        assertThat(bind(Map.of("type", "openai", "reply-cap-parameter", "max-completion-tokens")).replyCapParameter())
                .as("as the README and .env.example write it").isEqualTo(ReplyOptions.CapName.MAX_COMPLETION_TOKENS);
        assertThat(bind(Map.of("type", "openai", "reply-cap-parameter", "max_completion_tokens")).replyCapParameter())
                .as("as OpenAI names the parameter").isEqualTo(ReplyOptions.CapName.MAX_COMPLETION_TOKENS);
    }

    private static ProviderProperties bind(Map<String, String> properties) {
        return new Binder(new MapConfigurationPropertySource(properties)).bindOrCreate("", ProviderProperties.class);
    }
}
