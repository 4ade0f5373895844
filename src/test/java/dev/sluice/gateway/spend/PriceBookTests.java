package dev.sluice.gateway.spend;

import java.math.BigDecimal;

import dev.sluice.gateway.provider.ProvidersProperties;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

import static org.assertj.core.api.Assertions.assertThat;

/** Where a call's price comes from: the alias, the provider, the default table, the simulator, or nowhere. */
class PriceBookTests {

    private final ApplicationContextRunner context = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
            .withUserConfiguration(WithPrices.class)
            .withPropertyValues("sluice.providers.openai.type=openai", "sluice.providers.groq.type=openai",
                    "sluice.providers.claude.type=anthropic", "sluice.providers.demo.type=demo");

    @Test
    void theDefaultTablePricesOpenAiModelsAndTheirDatedVersionsButNotOtherVariants() {
        context.run(started -> {
            PriceBook book = started.getBean(PriceBook.class);
            assertThat(book.price(null, "openai", "gpt-4o")).contains(Price.of("2.50", "1.25", "10.00"));
            assertThat(book.price(null, "openai", "gpt-4o-mini-2024-07-18")).as("the longest name it is a version of")
                    .contains(Price.of("0.15", "0.075", "0.60"));
            assertThat(book.price(null, "claude", "claude-sonnet-4-20250514")).contains(Price.of("3.00", "0.30", "15.00"));
            assertThat(book.price(null, "openai", "o3-pro")).as("a variant is a model of its own").isEmpty();
            assertThat(book.price(null, "groq", "llama-3.1-8b-instant")).as("not in the table: unpriced, not free").isEmpty();
            assertThat(book.price(null, "nowhere", "gpt-4o")).as("an unknown provider has no type").isEmpty();
        });
    }

    @Test
    void theDemoSimulatorIsFreeAndPriced() {
        context.run(started -> assertThat(started.getBean(PriceBook.class).price("demo", "demo", "any")).contains(Price.FREE));
    }

    @Test
    void configurationOverridesTheTableAndAnAliasOverridesTheProvider() {
        context.withPropertyValues("sluice.providers.openai.prices.[gpt-4.1].input=1",
                        "sluice.providers.openai.prices.[gpt-4.1].output=4",
                        "sluice.providers.groq.prices.[llama-3.1-8b-instant].input=0.05",
                        "sluice.providers.groq.prices.[llama-3.1-8b-instant].output=0.08",
                        "sluice.aliases.fast.prices.[gpt-4.1].input=0.5",
                        "sluice.aliases.fast.prices.[gpt-4.1].output=2",
                        "sluice.aliases.fast.prices.[gpt-4.1].cached-input=0.1")
                .run(started -> {
                    PriceBook book = started.getBean(PriceBook.class);
                    assertThat(book.price(null, "openai", "gpt-4.1")).as("cached input at the input price when unset")
                            .contains(Price.of("1", "1", "4"));
                    assertThat(book.price("fast", "openai", "gpt-4.1")).contains(Price.of("0.5", "0.1", "2"));
                    assertThat(book.price("other", "openai", "gpt-4.1")).contains(Price.of("1", "1", "4"));
                    assertThat(book.price(null, "groq", "llama-3.1-8b-instant")).contains(Price.of("0.05", "0.05", "0.08"));
                });
    }

    @Test
    void aNegativePriceStopsTheGatewayNamingIt() {
        context.withPropertyValues("sluice.providers.groq.prices.m.input=-1", "sluice.providers.groq.prices.m.output=1")
                .run(started -> assertThat(started).getFailure().rootCause().hasMessageContaining("input"));
    }

    @Test
    void aCostIsTokensTimesMicroUsdPerTokenRoundedUpOncePerCall() {
        Price price = Price.of("2.50", "1.25", "10.00");
        assertThat(price.costMicros(1_000, 500, 0)).as("1000 × 2.5 + 500 × 10").isEqualTo(7_500);
        assertThat(price.costMicros(1_000, 500, 400)).as("600 × 2.5 + 400 × 1.25 + 500 × 10").isEqualTo(7_000);
        assertThat(price.costMicros(1, 0, 0)).as("2.5 rounded up").isEqualTo(3);
        assertThat(price.costMicros(10, 0, 50)).as("no more cached tokens than prompt tokens").isEqualTo(13);
        assertThat(Price.of("0.075", "0.075", "0.30").costMicros(3, 0, 0)).as("0.225 rounded up").isEqualTo(1);
        assertThat(Price.FREE.costMicros(1_000_000, 1_000_000, 0)).isZero();
        assertThat(price.worstCaseMicros(100, 1_000)).as("the whole reply cap at the output price").isEqualTo(10_250);
        assertThat(new Price(BigDecimal.ONE, BigDecimal.TEN, null).cachedInput()).isEqualTo(BigDecimal.ONE);
    }

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties({PricesProperties.class, ProvidersProperties.class})
    @Import(PriceBook.class)
    static class WithPrices {
    }
}
