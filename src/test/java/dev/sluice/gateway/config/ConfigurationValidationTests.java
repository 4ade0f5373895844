package dev.sluice.gateway.config;

import dev.sluice.gateway.SluiceApplication;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A configuration Sluice cannot serve stops it at startup, with a message that names the property. */
class ConfigurationValidationTests {

    @Test
    void anAliasThatNamesAnUnknownProviderIsRefused() {
        assertRefused("sluice.aliases.fast.targets[0]: unknown provider 'ghost'",
                "sluice.aliases.fast.targets=ghost/model-1");
    }

    @Test
    void anAliasTargetMustBeProviderSlashModel() {
        assertRefused("sluice.aliases.fast.targets[0]: 'just-a-model' is not of the form provider/model",
                "sluice.aliases.fast.targets=just-a-model");
    }

    @Test
    void anOpenAiProviderNeedsABaseUrl() {
        assertRefused("sluice.providers.groq.base-url", "sluice.providers.groq.type=openai", "sluice.providers.groq.api-keys=k1");
    }

    @Test
    void anOpenAiProviderNeedsKeys() {
        assertRefused("sluice.providers.groq.api-keys", "sluice.providers.groq.type=openai",
                "sluice.providers.groq.base-url=https://api.groq.com/openai/v1");
        assertRefused("sluice.providers.groq.api-keys", "sluice.providers.groq.type=openai",
                "sluice.providers.groq.base-url=https://api.groq.com/openai/v1", "sluice.providers.groq.api-keys=");
    }

    @Test
    void anIdleTimeoutShorterThanTheFirstTokenTimeoutIsRefused() {
        assertRefused("sluice.providers.slow.timeouts.idle: must be at least timeouts.first-token",
                "sluice.providers.slow.type=demo", "sluice.providers.slow.timeouts.idle=5s",
                "sluice.providers.slow.timeouts.first-token=60s");
    }

    @Test
    void wholeRepliesAreRefusedForAProtocolThatAlwaysStreams() {
        assertRefused("sluice.providers.claude.whole-replies: only an openai provider can be asked for whole replies",
                "sluice.providers.claude.type=anthropic", "sluice.providers.claude.api-keys=k",
                "sluice.providers.claude.whole-replies=true");
    }

    @Test
    void aModelListRefreshOfZeroIsRefusedRatherThanFetchingInALoop() {
        assertRefused("sluice.routing.model-list-refresh: must be positive", "sluice.routing.model-list-refresh=0s");
    }

    @Test
    void anAgentOnAnUnknownAliasIsRefused() {
        assertRefused("sluice.agents.poet.alias: unknown alias 'smart'",
                "sluice.agents.poet.alias=smart", "sluice.agents.poet.system-prompt=Rhyme.");
    }

    @Test
    void anAnthropicOrGeminiProviderNeedsKeysButNoBaseUrl() {
        assertRefused("sluice.providers.claude.api-keys: an anthropic provider needs at least one non-blank API key",
                "sluice.providers.claude.type=anthropic");
        assertRefused("sluice.providers.gem.api-keys: a gemini provider needs at least one non-blank API key",
                "sluice.providers.gem.type=gemini", "sluice.providers.gem.api-keys=");
    }

    @Test
    void aBaseUrlThatIsNotAbsoluteIsRefusedForEveryType() {
        assertRefused("sluice.providers.claude.base-url: must be absolute, e.g. https://api.anthropic.com/v1",
                "sluice.providers.claude.type=anthropic", "sluice.providers.claude.api-keys=k1",
                "sluice.providers.claude.base-url=api.anthropic.com/v1");
    }

    @Test
    void aProviderWithoutATypeIsRefused() {
        assertThatThrownBy(() -> start("sluice.providers.nameless.base-url=http://localhost:1/v1"))
                .rootCause().hasMessageContaining("providers[nameless].type");
    }

    @Test
    void theFailureReportSaysWhatToFix() {
        InvalidConfigurationException problem = new InvalidConfigurationException("sluice.aliases.fast", "broken");

        FailureAnalysis analysis = new InvalidConfigurationFailureAnalyzer().analyze(problem);

        assertThat(analysis.getDescription()).isEqualTo("Invalid Sluice configuration: sluice.aliases.fast: broken");
        assertThat(analysis.getAction()).contains("sluice.aliases.fast");
    }

    private static void assertRefused(String message, String... properties) {
        assertThatThrownBy(() -> start(properties))
                .as("startup with %s", String.join(", ", properties))
                .rootCause()
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining(message);
    }

    private static void start(String... properties) {
        String[] all = new String[properties.length + 1];
        all[0] = "server.port=0";
        System.arraycopy(properties, 0, all, 1, properties.length);
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(SluiceApplication.class)
                .properties(all).run()) {
            assertThat(context).as("the application should not have started").isNull();
        }
    }
}
