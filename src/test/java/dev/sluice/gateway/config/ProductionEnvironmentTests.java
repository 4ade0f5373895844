package dev.sluice.gateway.config;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProductionEnvironmentTests {

    @Test
    void aDatabaseUrlBecomesR2dbcAndFlywaySettingsAndSwitchesToProd() {
        StandardEnvironment environment = environment(Map.of("DATABASE_URL", "postgres://sluice:s%40cret@db.internal:6543/gateway?sslmode=require"));

        new ProductionEnvironment().postProcessEnvironment(environment, new SpringApplication());

        assertThat(environment.getActiveProfiles()).containsExactly("prod");
        assertThat(environment.getProperty("spring.r2dbc.url")).isEqualTo("r2dbc:postgresql://db.internal:6543/gateway?sslmode=require");
        assertThat(environment.getProperty("spring.flyway.url")).isEqualTo("jdbc:postgresql://db.internal:6543/gateway?sslmode=require");
        assertThat(environment.getProperty("spring.r2dbc.username")).isEqualTo("sluice");
        assertThat(environment.getProperty("spring.r2dbc.password")).as("percent-decoded").isEqualTo("s@cret");
        assertThat(environment.getProperty("spring.flyway.password")).isEqualTo("s@cret");
    }

    @Test
    void aPasswordIsPercentDecodedOnceSoPlusAndPercentSurvive() {
        StandardEnvironment environment = environment(Map.of("DATABASE_URL", "postgres://sl%2Bice:p+ss%25w0rd%3A@db/gateway"));

        new ProductionEnvironment().postProcessEnvironment(environment, new SpringApplication());

        assertThat(environment.getProperty("spring.r2dbc.username")).isEqualTo("sl+ice");
        assertThat(environment.getProperty("spring.r2dbc.password")).as("a plus stays a plus, %25 is one percent sign")
                .isEqualTo("p+ss%w0rd:");
        assertThat(environment.getProperty("spring.flyway.password")).isEqualTo("p+ss%w0rd:");
    }

    @Test
    void aRedisUrlAloneAlsoSwitchesToProd() {
        StandardEnvironment environment = environment(Map.of("REDIS_URL", "redis://cache:6379"));

        new ProductionEnvironment().postProcessEnvironment(environment, new SpringApplication());

        assertThat(environment.getActiveProfiles()).containsExactly("prod");
        assertThat(environment.getProperty("spring.data.redis.url")).isEqualTo("redis://cache:6379");
    }

    @Test
    void explicitSettingsWinOverTheDerivedOnes() {
        StandardEnvironment environment = environment(Map.of("DATABASE_URL", "postgres://u@db/x",
                "spring.r2dbc.url", "r2dbc:postgresql://elsewhere/y"));

        new ProductionEnvironment().postProcessEnvironment(environment, new SpringApplication());

        assertThat(environment.getProperty("spring.r2dbc.url")).isEqualTo("r2dbc:postgresql://elsewhere/y");
    }

    @Test
    void withoutEitherUrlNothingChanges() {
        StandardEnvironment environment = environment(Map.of());

        new ProductionEnvironment().postProcessEnvironment(environment, new SpringApplication());

        assertThat(environment.getActiveProfiles()).isEmpty();
        assertThat(environment.getProperty("spring.r2dbc.url")).isNull();
    }

    @Test
    void aDatabaseUrlThatIsNotPostgresIsRefusedByName() {
        assertThatThrownBy(() -> new ProductionEnvironment().postProcessEnvironment(
                environment(Map.of("DATABASE_URL", "mysql://u@db/x")), new SpringApplication()))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("DATABASE_URL");
    }

    private static StandardEnvironment environment(Map<String, Object> variables) {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("test", variables));
        return environment;
    }
}
